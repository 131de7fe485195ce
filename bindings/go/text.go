package quiver

/*
#include <stdlib.h>
#include <quiver.h>

// The text search goes through this shim, as the vector searches do
// (search.go): the query and filter pointers live in a C struct only during
// the call (never in Go memory passed to C), the fields array is C memory
// (made by textFieldsC), and the status, error and results come back by
// value.
typedef struct {
	int32_t rc;
	qv_error *err;
	qv_results *results;
} qvgo_text_status;

// qvgo_text_search fills the params from qv_text_search_params_init: k 0 and
// mode 0 keep the defaults (10, QV_TEXT_ANY).
static qvgo_text_status qvgo_text_search(const qv_collection *c, const uint8_t *query,
                                         size_t query_len, uint32_t k, uint32_t mode,
                                         uint32_t with_payload, const qv_text_field *fields,
                                         uint64_t nfields, const uint8_t *filter,
                                         size_t filter_len) {
	qv_text_search_params p;
	qv_text_search_params_init(&p);
	if (k != 0) p.k = k;
	if (mode != 0) p.mode = mode;
	p.with_payload = with_payload;
	p.fields = fields;
	p.nfields = nfields;
	p.filter_json = filter;
	p.filter_len = filter_len;
	qvgo_text_status s = {0, NULL, NULL};
	s.rc = qv_collection_text_search(c, query, query_len, &p, &s.results, &s.err);
	return s;
}
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// ExactZero is the value to put in TextIndexOptions.K1, TextIndexOptions.B
// or TextField.Boost to ask for exactly 0, since 0 itself means the
// default there (1.2, 0.75 and 1). It is a negative zero (as
// float32(math.Copysign(0, -1))); the library is given a plain 0. Do not
// assign to it.
var ExactZero = float32(math.Copysign(0, -1))

// orDefault maps a float option to what the library gets: 0 is def, a
// negative zero (ExactZero) is 0, anything else (NaN and out-of-range
// values included, which the library refuses) is itself.
func orDefault(v float32, def C.float) C.float {
	switch {
	case v == 0 && math.Signbit(float64(v)):
		return 0
	case v == 0:
		return def
	}
	return C.float(v)
}

// TextIndexOptions are how a text index analyzes text and scores it (see
// CreateTextIndex). A nil *TextIndexOptions, the zero value and
// DefaultTextIndexOptions() all mean the library's defaults: words split
// at Unicode word boundaries and lowercased, no folding, no stop words, no
// stemming, K1 1.2, B 0.75.
//
// As elsewhere in this package, a zero K1 or B takes the library's default;
// set ExactZero for exactly 0 (B ExactZero: no length normalisation; K1
// ExactZero: a term counts once however often it occurs).
type TextIndexOptions struct {
	// ASCIIFolding folds letters with diacritics to ASCII ("café" matches
	// "cafe"; "ß" becomes "ss").
	ASCIIFolding bool
	// StopWords drops the 33 English stop words of Lucene's EnglishAnalyzer
	// ("the", "of", "and", ...).
	StopWords bool
	// Stemming reduces words to their English (Porter 2) stem ("fishes"
	// matches "fish").
	Stemming bool
	// K1 is BM25's term-frequency saturation, 0..1000; 0 = the default
	// 1.2 (ExactZero: exactly 0).
	K1 float32
	// B is BM25's length normalisation, 0..1; 0 = the default 0.75
	// (ExactZero: exactly 0).
	B float32
}

// DefaultTextIndexOptions returns the library's defaults
// (qv_text_index_options_init) with K1 and B spelled out: no folding, no
// stop words, no stemming, K1 1.2, B 0.75. Start from it to change one
// value and read the others.
func DefaultTextIndexOptions() TextIndexOptions {
	var c C.qv_text_index_options
	C.qv_text_index_options_init(&c)
	return TextIndexOptions{
		ASCIIFolding: c.ascii_folding != 0,
		StopWords:    c.stop_words != 0,
		Stemming:     c.stemming != 0,
		K1:           float32(c.k1),
		B:            float32(c.b),
	}
}

// toC fills C options from the defaults and the fields.
func (o *TextIndexOptions) toC() C.qv_text_index_options {
	var c C.qv_text_index_options
	C.qv_text_index_options_init(&c)
	c.ascii_folding = cbool(o.ASCIIFolding)
	c.stop_words = cbool(o.StopWords)
	c.stemming = cbool(o.Stemming)
	c.k1 = orDefault(o.K1, c.k1)
	c.b = orDefault(o.B, c.b)
	return c
}

// CreateTextIndex creates a full-text (BM25) index on the payload field (a
// dotted path whose value is a string, or an array whose string elements
// are indexed) with opts (nil = the defaults, see TextIndexOptions), and
// builds it over every point before returning; searches and writes go on
// meanwhile. Durable when it returns; the index and its options are kept
// across reopens. It serves TextSearch and the filter conditions Text,
// TextAny and Phrase on the field (which, without an index, analyze the
// payload's text with the default options). A field may have one text
// index besides one value index (CreateFieldIndex; CreateFieldIndex with
// FieldText makes a text index with the default options). FieldIndexes
// lists it with Kind FieldText. Errors: ErrAlreadyExists (the field has a
// text index), ErrInvalidArgument (bad path, K1 or B out of range or NaN),
// ErrClosed, ErrReadOnly, ErrIO, ErrCorrupt.
func (c *Collection) CreateTextIndex(field string, opts *TextIndexOptions) error {
	var o C.qv_text_index_options
	if opts == nil {
		C.qv_text_index_options_init(&o)
	} else {
		o = opts.toC()
	}
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_create_text_index(ptr, stringPtr(field), C.size_t(len(field)), &o, &cerr)
	runtime.KeepAlive(field)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// DropTextIndex drops the text index on field and removes its files
// (DropFieldIndex drops the value index only). Errors: ErrNotFound (no
// text index on field), ErrInvalidArgument, ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) DropTextIndex(field string) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_drop_text_index(ptr, stringPtr(field), C.size_t(len(field)), &cerr)
	runtime.KeepAlive(field)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// TextMode is how a text search matches points (TextSearchParams.Mode).
type TextMode uint32

const (
	// MatchAny returns the points holding any term of the query in a
	// searched field (the default, also the zero value).
	MatchAny TextMode = C.QV_TEXT_ANY
	// MatchAll returns the points where one searched field holds every
	// term of the query.
	MatchAll TextMode = C.QV_TEXT_ALL
	// MatchPhrase returns the points where one searched field holds the
	// query's terms in order, adjacent, within one string.
	MatchPhrase TextMode = C.QV_TEXT_PHRASE
)

// String returns the mode's name ("any", "all", "phrase"); 0 reads "any".
func (m TextMode) String() string {
	switch m {
	case 0, MatchAny:
		return "any"
	case MatchAll:
		return "all"
	case MatchPhrase:
		return "phrase"
	}
	return fmt.Sprintf("TextMode(%d)", uint32(m))
}

// TextField is one field of a text search and its weight.
type TextField struct {
	// Name is the payload field, a dotted path with a text index.
	Name string
	// Boost multiplies the field's BM25 score: finite, >= 0; 0 = the
	// default 1 (ExactZero: exactly 0, the field matches but adds nothing
	// to the score).
	Boost float32
}

// TextSearchParams are the per-call parameters of TextSearch. Fields is
// required; the zero value of every other field takes the library's
// default.
type TextSearchParams struct {
	// K is the number of results, 1..100000; 0 = the default (10).
	K int
	// Mode is how points match: MatchAny (the default, also 0), MatchAll
	// or MatchPhrase.
	Mode TextMode
	// Fields are the fields searched, each with a text index, at least one
	// and none twice. A point's score is the sum over them of Boost × its
	// BM25 in the field.
	Fields []TextField
	// Filter is an optional payload filter as JSON text, "" = none, as
	// SearchOptions.Filter (a Filter's String; Text, TextAny and Phrase
	// conditions included).
	Filter string
	// WithPayload returns the payloads of the hits.
	WithPayload bool
}

// textFieldsC copies fields into one C buffer: the qv_text_field array
// followed by the names, to which its entries point (C memory holding only
// C pointers). The caller frees it with C.free; nil when fields is empty.
func textFieldsC(fields []TextField) *C.qv_text_field {
	if len(fields) == 0 {
		return nil
	}
	head := uintptr(len(fields)) * unsafe.Sizeof(C.qv_text_field{})
	size := head
	for _, f := range fields {
		size += uintptr(len(f.Name))
	}
	buf := C.malloc(C.size_t(size)) // never nil: cgo's malloc crashes when out of memory
	out := unsafe.Slice((*C.qv_text_field)(buf), len(fields))
	names := unsafe.Slice((*byte)(unsafe.Add(buf, head)), size-head)
	at := 0
	for i, f := range fields {
		e := &out[i]
		*e = C.qv_text_field{}
		if len(f.Name) > 0 {
			e.name = (*C.uint8_t)(unsafe.Pointer(&names[at]))
			at += copy(names[at:], f.Name)
		}
		e.name_len = C.uint64_t(len(f.Name))
		e.boost = orDefault(f.Boost, 1)
	}
	return (*C.qv_text_field)(buf)
}

// TextSearch is a BM25 full-text search of query over params.Fields: the
// query is analyzed as each field's text index analyzes its text, and a
// point scores the sum over the fields of Boost × BM25 (Lucene's: idf
// ln(1 + (n - df + 0.5) / (df + 0.5)) times tf·(k1 + 1) / (tf + k1·(1 - b +
// b·len/avglen)), with n, df and avglen over the collection's live points
// with text in the field, k1 and b of the field's index). It returns the
// best params.K points matching params.Mode and params.Filter, best first
// (higher scores first, equal scores by ascending id), with their payloads
// when params.WithPayload is set. A query without terms (empty,
// punctuation, only stop words) finds nothing. Errors: ErrInvalidArgument
// (no field, a field without a text index or named twice, a negative or
// non-finite Boost, K or Mode out of range, bad filter, query not UTF-8),
// ErrClosed, ErrIO, ErrOutOfMemory.
func (c *Collection) TextSearch(query string, params TextSearchParams) ([]Hit, error) {
	if params.K < 0 || uint64(params.K) > 0xffffffff {
		return nil, errorf(CodeInvalidArgument, "TextSearchParams.K is %d", params.K)
	}
	fields := textFieldsC(params.Fields)
	if fields != nil {
		defer C.free(unsafe.Pointer(fields))
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	st := C.qvgo_text_search(ptr, stringPtr(query), C.size_t(len(query)),
		C.uint32_t(params.K), C.uint32_t(params.Mode), cbool(params.WithPayload),
		fields, C.uint64_t(len(params.Fields)),
		stringPtr(params.Filter), C.size_t(len(params.Filter)))
	runtime.KeepAlive(query)
	runtime.KeepAlive(params.Filter)
	if st.rc != C.QV_OK {
		return nil, takeError(st.rc, st.err)
	}
	r, err := newResults(st.results)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	hits := r.Hits(0)
	if params.WithPayload {
		for j := range hits {
			hits[j].Payload = r.Payload(0, j)
		}
	}
	return hits, nil
}
