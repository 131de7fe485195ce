package quiver

import (
	"encoding/json"
	"strings"
)

// Filter is a payload filter built in code: its String is the JSON text the
// library takes (SearchOptions.Filter, Scroll), the same as writing it by
// hand. Build one with the condition functions (Eq, Between, Like, ...)
// and combine them with And, Or and Not:
//
//	f := quiver.And(quiver.Eq("lang", "fr"), quiver.Gte("year", 2022))
//	hits, err := docs.Search(q, quiver.SearchOptions{K: 10, Filter: f.String()})
//
// A value that encoding/json cannot encode (a channel, a NaN) makes the
// filter invalid: Err reports it, and String returns a filter the library
// refuses with that message, so it never matches silently.
type Filter struct {
	json string
	err  error
}

// String returns the filter's JSON text.
func (f Filter) String() string {
	if f.err != nil {
		// The library refuses the unknown operator and names it: the cause.
		b, _ := json.Marshal("invalid filter: " + f.err.Error())
		return `{` + string(b) + `: null}`
	}
	return f.json
}

// Err returns why the filter could not be built, or nil.
func (f Filter) Err() error { return f.err }

func condition(field, op string, value any) Filter {
	k, _ := json.Marshal(field)
	v, err := json.Marshal(value)
	if err != nil {
		return Filter{err: errorf(CodeInvalidArgument, "filter on %q: %s: %v", field, op, err)}
	}
	return Filter{json: `{"field": ` + string(k) + `, "` + op + `": ` + string(v) + `}`}
}

func combine(op string, fs []Filter) Filter {
	parts := make([]string, len(fs))
	for i, f := range fs {
		if f.err != nil {
			return f
		}
		parts[i] = f.json
	}
	return Filter{json: `{"` + op + `": [` + strings.Join(parts, ", ") + `]}`}
}

// Eq: the field (or an element of it) equals value.
func Eq(field string, value any) Filter { return condition(field, "eq", value) }

// Ne: not Eq (a missing field matches).
func Ne(field string, value any) Filter { return condition(field, "ne", value) }

// Lt: the field (or an element) is below value (a number or a string).
func Lt(field string, value any) Filter { return condition(field, "lt", value) }

// Lte: at most value.
func Lte(field string, value any) Filter { return condition(field, "lte", value) }

// Gt: above value.
func Gt(field string, value any) Filter { return condition(field, "gt", value) }

// Gte: at least value.
func Gte(field string, value any) Filter { return condition(field, "gte", value) }

// Between: low <= field <= high (one element in the range for an array).
func Between(field string, low, high any) Filter {
	return condition(field, "between", []any{low, high})
}

// In: the field equals one of values.
func In(field string, values ...any) Filter { return condition(field, "in", nonNil(values)) }

// NotIn: the field equals none of values (a missing field matches).
func NotIn(field string, values ...any) Filter { return condition(field, "nin", nonNil(values)) }

// ContainsAny: the array field holds at least one of values.
func ContainsAny(field string, values ...any) Filter {
	return condition(field, "contains_any", nonNil(values))
}

// ContainsAll: the array field holds every one of values.
func ContainsAll(field string, values ...any) Filter {
	return condition(field, "contains_all", nonNil(values))
}

// Like: the field (or an element) is a string matching pattern: % any run
// of characters, _ one character, \ escapes the next.
func Like(field, pattern string) Filter { return condition(field, "like", pattern) }

// ILike: Like ignoring case.
func ILike(field, pattern string) Filter { return condition(field, "ilike", pattern) }

// Exists: the field is present (whatever its value).
func Exists(field string) Filter { return condition(field, "exists", true) }

// IsNull: the field is present and null.
func IsNull(field string) Filter { return condition(field, "is_null", true) }

// IsEmpty: the field is missing, null or [].
func IsEmpty(field string) Filter { return condition(field, "is_empty", true) }

// And: every filter matches (none: always).
func And(filters ...Filter) Filter { return combine("and", filters) }

// Or: at least one filter matches (none: never).
func Or(filters ...Filter) Filter { return combine("or", filters) }

// Not: the filter does not match.
func Not(f Filter) Filter {
	if f.err != nil {
		return f
	}
	return Filter{json: `{"not": ` + f.json + `}`}
}

// nonNil makes an empty variadic list encode as [] (not null).
func nonNil(values []any) []any {
	if values == nil {
		return []any{}
	}
	return values
}
