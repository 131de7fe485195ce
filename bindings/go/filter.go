package quiver

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Filter is a payload filter built in code: its String is the JSON text the
// library takes (SearchOptions.Filter, Scroll, ScrollOptions.Filter, Where,
// DeleteWhere, CountWhere, TextSearchParams.Filter), the same as writing it by hand. Build one with the condition functions (Eq, Between, Like, Text, ...)
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

// Lt: the field (or an element) is below value (a number or a string;
// two RFC 3339 datetime strings compare as instants, and a time.Time
// encodes as one).
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

// Text: the field's text holds every term of query, analyzed as the
// field's text index analyzes text (CreateTextIndex; without one, words
// lowercased):
//
//	quiver.Text("body", "red fish") // {"field": "body", "text": "red fish"}
//
// A query without terms (empty, punctuation, only stop words) matches no
// point. TextSearch ranks such matches; a filter only selects them.
func Text(field, query string) Filter { return condition(field, "text", query) }

// TextAny: the field's text holds at least one term of query (as Text).
func TextAny(field, query string) Filter { return condition(field, "text_any", query) }

// Phrase: the field's text holds the terms of query in order, adjacent,
// within one string (as Text).
func Phrase(field, query string) Filter { return condition(field, "phrase", query) }

// CountBound is one bound of ValuesCount: CountEq, CountLt, CountLte,
// CountGt or CountGte.
type CountBound struct {
	op string
	n  int
}

// CountEq: exactly n values.
func CountEq(n int) CountBound { return CountBound{"eq", n} }

// CountLt: fewer than n values.
func CountLt(n int) CountBound { return CountBound{"lt", n} }

// CountLte: at most n values.
func CountLte(n int) CountBound { return CountBound{"lte", n} }

// CountGt: more than n values.
func CountGt(n int) CountBound { return CountBound{"gt", n} }

// CountGte: at least n values.
func CountGte(n int) CountBound { return CountBound{"gte", n} }

// ValuesCount: the number of values of the field (the elements of an
// array, 1 for any other value, 0 when missing or null) is within every
// bound (none: always):
//
//	quiver.ValuesCount("words", quiver.CountGte(2), quiver.CountLt(5))
//	// {"field": "words", "values_count": {"gte": 2, "lt": 5}}
//
// A negative count, a zero CountBound or a bound given twice makes the
// filter invalid (see Filter.Err).
func ValuesCount(field string, bounds ...CountBound) Filter {
	k, _ := json.Marshal(field)
	var b strings.Builder
	b.WriteString(`{"field": ` + string(k) + `, "values_count": {`)
	seen := make(map[string]bool, len(bounds))
	for i, bd := range bounds {
		switch {
		case bd.op == "":
			return Filter{err: errorf(CodeInvalidArgument, "filter on %q: values_count: bound %d is a zero CountBound", field, i)}
		case bd.n < 0:
			return Filter{err: errorf(CodeInvalidArgument, "filter on %q: values_count: %s %d is negative", field, bd.op, bd.n)}
		case seen[bd.op]:
			return Filter{err: errorf(CodeInvalidArgument, "filter on %q: values_count: %s given twice", field, bd.op)}
		}
		seen[bd.op] = true
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + bd.op + `": ` + strconv.Itoa(bd.n))
	}
	b.WriteString(`}}`)
	return Filter{json: b.String()}
}

// HasID: the point's id is one of ids (none: never). It takes no field:
//
//	quiver.HasID(1, 2, 3) // {"has_id": [1, 2, 3]}
func HasID(ids ...uint64) Filter {
	var b strings.Builder
	b.WriteString(`{"has_id": [`)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(id, 10))
	}
	b.WriteString(`]}`)
	return Filter{json: b.String()}
}

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
