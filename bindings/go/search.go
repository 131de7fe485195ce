package quiver

/*
#include <quiver.h>

// The search calls go through these shims so that the filter pointer lives
// in a C struct (never in Go memory passed to C), and the status, error and
// result come back by value (no Go out-parameter escapes to the heap).
typedef struct {
	int32_t rc;
	qv_error *err;
	qv_results *results;
} qvgo_search_status;

// qvgo_params fills *p from qv_search_params_init and the options:
// oversampling 0 and no_rescore 0 keep the defaults (the storage mode's
// oversampling, rescoring on); any other oversampling, NaN included, goes to
// the library, which checks it.
static void qvgo_params(qv_search_params *p, uint32_t k, uint32_t ef, uint32_t exact,
                        uint32_t with_payload, float oversampling, uint32_t no_rescore,
                        const uint8_t *filter, size_t filter_len) {
	qv_search_params_init(p);
	if (k != 0) p->k = k;
	p->ef = ef;
	p->exact = exact;
	p->with_payload = with_payload;
	if (oversampling != 0) p->oversampling = oversampling;
	if (no_rescore) p->rescore = 0;
	p->filter_json = filter;
	p->filter_len = filter_len;
}

static qvgo_search_status qvgo_search(const qv_collection *c, const float *queries, size_t nq,
                                      size_t dim, uint32_t k, uint32_t ef, uint32_t exact,
                                      float oversampling, uint32_t no_rescore,
                                      const uint8_t *filter, size_t filter_len, uint64_t *ids,
                                      float *scores, size_t out_len, uint32_t *counts) {
	qv_search_params p;
	qvgo_params(&p, k, ef, exact, 0, oversampling, no_rescore, filter, filter_len);
	qvgo_search_status s = {0, NULL, NULL};
	s.rc = qv_collection_search(c, queries, nq, dim, &p, ids, scores, out_len, counts, &s.err);
	return s;
}

static qvgo_search_status qvgo_search_results(const qv_collection *c, const float *queries,
                                              size_t nq, size_t dim, uint32_t k, uint32_t ef,
                                              uint32_t exact, uint32_t with_payload,
                                              float oversampling, uint32_t no_rescore,
                                              const uint8_t *filter, size_t filter_len) {
	qv_search_params p;
	qvgo_params(&p, k, ef, exact, with_payload, oversampling, no_rescore, filter, filter_len);
	qvgo_search_status s = {0, NULL, NULL};
	s.rc = qv_collection_search_results(c, queries, nq, dim, &p, &s.results, &s.err);
	return s;
}

typedef struct {
	int32_t rc;
	qv_error *err;
	qv_strings *strings;
} qvgo_explain_status;

static qvgo_explain_status qvgo_explain(const qv_collection *c, const float *query, size_t dim,
                                        uint32_t k, uint32_t ef, uint32_t exact,
                                        float oversampling, uint32_t no_rescore,
                                        const uint8_t *filter, size_t filter_len) {
	qv_search_params p;
	qvgo_params(&p, k, ef, exact, 0, oversampling, no_rescore, filter, filter_len);
	qvgo_explain_status s = {0, NULL, NULL};
	s.rc = qv_collection_explain(c, query, dim, &p, &s.strings, &s.err);
	return s;
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// defaultK is the library's default k (qv_search_params_init), used when
// SearchOptions.K is 0.
var defaultK = func() int {
	var p C.qv_search_params
	C.qv_search_params_init(&p)
	return int(p.k)
}()

// SearchOptions are the per-call search parameters. The zero value searches
// the library's default k (10) nearest points with the collection's ef (and,
// in a quantized collection, the storage mode's default oversampling with
// exact rescoring).
type SearchOptions struct {
	// K is the number of results per query, >= 1; 0 = the default (10).
	K int
	// Ef is the HNSW candidate list size; 0 = the collection's EfSearch.
	// Raised to K when smaller.
	Ef int
	// Exact searches by brute force instead of the graph.
	Exact bool
	// Filter is an optional payload filter as JSON text, "" = none, e.g.
	// `{"and": [{"field": "lang", "eq": "fr"}, {"field": "year", "gte": 2022}]}`.
	// Operators: eq, ne, lt, lte, gt, gte, between, in, nin, exists,
	// is_null, is_empty, like, ilike, contains_any, contains_all,
	// values_count, text, text_any, phrase; has_id, and, or, not (see the
	// README's filter grammar).
	// A field is a dotted path; "tags[].name" reaches into an array of
	// objects.
	Filter string
	// WithPayload returns the payloads of the hits (Search, SearchBatch and
	// SearchBatchFlat; SearchInto never returns payloads).
	WithPayload bool
	// Oversampling applies to the quantized storage modes (every Storage
	// but StorageF32): the walk on the codes keeps the best K ×
	// Oversampling candidates, which are then rescored on the original
	// vectors. 1..100; 0 = the mode's default: 2 for StorageF16 and
	// StorageBF16, 3 for StorageSQ8, 5 for StoragePQ and StorageBinary (10 below 256 dimensions). A
	// larger value trades speed for recall. Other values (NaN included)
	// fail with ErrInvalidArgument, also in StorageF32 collections, which
	// otherwise ignore it.
	Oversampling float32
	// NoRescore applies to the quantized storage modes: graph searches of
	// sealed segments skip rescoring on the original vectors and return the
	// scores estimated on the codes (faster, approximate; the order may differ
	// slightly from the exact one). false (the default) rescores, so the
	// scores returned are exact. Ignored by StorageF32 collections, whose
	// scores are always exact.
	NoRescore bool
}

// k returns the effective k, checked to fit the C field.
func (o *SearchOptions) k() (int, error) {
	switch {
	case o.K == 0:
		return defaultK, nil
	case o.K < 0 || uint64(o.K) > 0xffffffff:
		return 0, errorf(CodeInvalidArgument, "SearchOptions.K is %d", o.K)
	}
	return o.K, nil
}

func (o *SearchOptions) ef() (C.uint32_t, error) {
	if o.Ef < 0 || uint64(o.Ef) > 0xffffffff {
		return 0, errorf(CodeInvalidArgument, "SearchOptions.Ef is %d", o.Ef)
	}
	return C.uint32_t(o.Ef), nil
}

func cbool(b bool) C.uint32_t {
	if b {
		return 1
	}
	return 0
}

// Hit is one search result: a point's id, its score (see Metric) and, when
// asked for, its payload as JSON text, byte for byte as it was written (nil
// when it has none).
type Hit struct {
	ID      uint64
	Score   float32
	Payload []byte
}

// scratch holds the caller-array buffers of a single-query Search.
type scratch struct {
	ids    []uint64
	scores []float32
	counts []uint32 // one entry
}

var scratchPool = sync.Pool{New: func() any { return &scratch{counts: make([]uint32, 1)} }}

// maxScratchK is the largest k a single-query Search serves through
// caller-provided arrays; a larger k goes through library-owned results,
// which hold only the hits found.
const maxScratchK = 4096

// Search returns the opts.K points nearest to query (of the collection's
// dimension), best first; fewer when fewer points (match the filter).
// Errors: ErrDimensionMismatch, ErrInvalidArgument (non-finite value, bad
// filter, K or Oversampling out of range), ErrUnsupported (metadata-only
// collection), ErrClosed.
func (c *Collection) Search(query []float32, opts SearchOptions) ([]Hit, error) {
	k, err := opts.k()
	if err != nil {
		return nil, err
	}
	if opts.WithPayload || k > maxScratchK {
		r, err := c.searchResults(query, 1, len(query), opts)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		hits := r.Hits(0)
		if opts.WithPayload {
			for j := range hits {
				hits[j].Payload = r.Payload(0, j)
			}
		}
		return hits, nil
	}
	ef, err := opts.ef()
	if err != nil {
		return nil, err
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	if cap(s.ids) < k {
		s.ids = make([]uint64, k)
		s.scores = make([]float32, k)
	}
	st := C.qvgo_search(ptr, floatsPtr(query), 1, C.size_t(len(query)),
		C.uint32_t(k), ef, cbool(opts.Exact), C.float(opts.Oversampling), cbool(opts.NoRescore),
		stringPtr(opts.Filter), C.size_t(len(opts.Filter)),
		idsPtr(s.ids[:k]), floatsPtr(s.scores[:k]), C.size_t(k), (*C.uint32_t)(unsafe.Pointer(&s.counts[0])))
	runtime.KeepAlive(s)
	runtime.KeepAlive(query)
	runtime.KeepAlive(opts.Filter)
	if st.rc != C.QV_OK {
		return nil, takeError(st.rc, st.err)
	}
	n := int(s.counts[0])
	hits := make([]Hit, n)
	for j := range hits {
		hits[j] = Hit{ID: s.ids[j], Score: s.scores[j]}
	}
	return hits, nil
}

// SearchInto searches len(queries)/dim queries (row-major in queries) and
// writes the results into caller-owned slices without allocating: the hits
// of query i are ids[i*k : i*k+counts[i]] with their scores at the same
// positions, best first; slots past counts[i] hold NoID and NaN. ids and
// scores need len(queries)/dim × k entries, counts len(queries)/dim, where
// k is opts.K (or the default). Payloads are not returned in this mode.
// Errors: as Search, and ErrInvalidArgument when a slice is too short.
func (c *Collection) SearchInto(queries []float32, dim int, opts SearchOptions, ids []uint64, scores []float32, counts []uint32) error {
	k, err := opts.k()
	if err != nil {
		return err
	}
	ef, err := opts.ef()
	if err != nil {
		return err
	}
	nq, err := numQueries(queries, dim)
	if err != nil {
		return err
	}
	if len(counts) < nq {
		return errorf(CodeInvalidArgument, "counts has %d entries, %d queries need %d", len(counts), nq, nq)
	}
	outLen := min(len(ids), len(scores))
	if outLen < nq*k {
		return errorf(CodeInvalidArgument, "ids has %d and scores %d entries, %d queries x k = %d need %d",
			len(ids), len(scores), nq, k, nq*k)
	}
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var countsPtr *C.uint32_t
	if len(counts) > 0 {
		countsPtr = (*C.uint32_t)(unsafe.Pointer(&counts[0]))
	}
	st := C.qvgo_search(ptr, floatsPtr(queries), C.size_t(nq), C.size_t(dim),
		C.uint32_t(k), ef, cbool(opts.Exact), C.float(opts.Oversampling), cbool(opts.NoRescore),
		stringPtr(opts.Filter), C.size_t(len(opts.Filter)),
		idsPtr(ids), floatsPtr(scores), C.size_t(outLen), countsPtr)
	runtime.KeepAlive(queries)
	runtime.KeepAlive(opts.Filter)
	runtime.KeepAlive(ids)
	runtime.KeepAlive(scores)
	runtime.KeepAlive(counts)
	if st.rc != C.QV_OK {
		return takeError(st.rc, st.err)
	}
	return nil
}

// numQueries returns len(queries)/dim, checking that it divides.
func numQueries(queries []float32, dim int) (int, error) {
	if dim < 1 {
		return 0, errorf(CodeInvalidArgument, "query dimension is %d, must be at least 1", dim)
	}
	if len(queries)%dim != 0 {
		return 0, errorf(CodeDimensionMismatch, "%d query floats are not a multiple of the dimension %d", len(queries), dim)
	}
	return len(queries) / dim, nil
}

// SearchBatch searches all queries at once (in parallel in the library)
// and returns their results in library memory, to be released with
// Results.Close. All queries must have the collection's dimension.
// Errors: as Search.
func (c *Collection) SearchBatch(queries [][]float32, opts SearchOptions) (*Results, error) {
	flat, err := flatten(queries, "query")
	if err != nil {
		return nil, err
	}
	dim := 0
	if len(queries) > 0 {
		dim = len(queries[0])
	}
	r, err := c.searchResults(flat, len(queries), dim, opts)
	runtime.KeepAlive(queries)
	return r, err
}

// SearchBatchFlat is SearchBatch with the queries in one row-major slice of
// len(queries)/dim rows.
func (c *Collection) SearchBatchFlat(queries []float32, dim int, opts SearchOptions) (*Results, error) {
	nq, err := numQueries(queries, dim)
	if err != nil {
		return nil, err
	}
	return c.searchResults(queries, nq, dim, opts)
}

func (c *Collection) searchResults(queries []float32, nq, dim int, opts SearchOptions) (*Results, error) {
	k, err := opts.k()
	if err != nil {
		return nil, err
	}
	ef, err := opts.ef()
	if err != nil {
		return nil, err
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	st := C.qvgo_search_results(ptr, floatsPtr(queries), C.size_t(nq), C.size_t(dim),
		C.uint32_t(k), ef, cbool(opts.Exact), cbool(opts.WithPayload),
		C.float(opts.Oversampling), cbool(opts.NoRescore),
		stringPtr(opts.Filter), C.size_t(len(opts.Filter)))
	runtime.KeepAlive(queries)
	runtime.KeepAlive(opts.Filter)
	if st.rc != C.QV_OK {
		return nil, takeError(st.rc, st.err)
	}
	return newResults(st.results)
}

// Results are the results of a batch search, held in library memory until
// Close: ids and scores are copied out per query by Hits, payloads only when
// asked for by Payload. Results may be read from many goroutines at once.
// Indexes out of range panic, like slice indexes. After Close, Len and
// NumHits return 0 and Hits and Payload nil.
type Results struct {
	mu   sync.RWMutex
	ptr  *C.qv_results // nil once closed
	view C.qv_results_view
}

func newResults(ptr *C.qv_results) (*Results, error) {
	r := &Results{ptr: ptr}
	var cerr *C.qv_error
	if rc := C.qv_results_get_view(ptr, &r.view, &cerr); rc != C.QV_OK {
		C.qv_results_free(ptr)
		return nil, takeError(rc, cerr)
	}
	runtime.SetFinalizer(r, (*Results).finalize)
	return r, nil
}

// Close releases the results. Closing twice is a no-op.
func (r *Results) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ptr != nil {
		C.qv_results_free(r.ptr)
		r.ptr = nil
		r.view = C.qv_results_view{}
		runtime.SetFinalizer(r, nil)
	}
	return nil
}

func (r *Results) finalize() {
	if r.ptr != nil {
		C.qv_results_free(r.ptr)
		r.ptr = nil
	}
}

// Len returns the number of queries (0 after Close).
func (r *Results) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return int(r.view.num_queries)
}

// bounds returns the hit range of query i, and false when the results are
// closed; the read lock is held.
func (r *Results) bounds(i int) (lo, hi int, ok bool) {
	if r.ptr == nil {
		return 0, 0, false
	}
	nq := int(r.view.num_queries)
	if i < 0 || i >= nq {
		panic(fmt.Sprintf("quiver: query index %d out of range [0:%d]", i, nq))
	}
	offsets := unsafe.Slice((*uint64)(unsafe.Pointer(r.view.offsets)), nq+1)
	return int(offsets[i]), int(offsets[i+1]), true
}

// NumHits returns the number of hits of query i.
func (r *Results) NumHits(i int) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	lo, hi, _ := r.bounds(i)
	return hi - lo
}

// Hits returns the ids and scores of the hits of query i, best first
// (Payload nil; see Payload).
func (r *Results) Hits(i int) []Hit {
	r.mu.RLock()
	defer r.mu.RUnlock()
	lo, hi, ok := r.bounds(i)
	if !ok {
		return nil
	}
	if hi == lo {
		return []Hit{}
	}
	ids := unsafe.Slice((*uint64)(unsafe.Pointer(r.view.ids)), hi)
	scores := unsafe.Slice((*float32)(unsafe.Pointer(r.view.scores)), hi)
	hits := make([]Hit, hi-lo)
	for j := range hits {
		hits[j] = Hit{ID: ids[lo+j], Score: scores[lo+j]}
	}
	return hits
}

// Payload returns a copy of the payload (JSON text) of hit j of query i;
// nil when the point has none or the search did not ask for payloads.
func (r *Results) Payload(i, j int) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	lo, hi, ok := r.bounds(i)
	if !ok {
		return nil
	}
	if j < 0 || j >= hi-lo {
		panic(fmt.Sprintf("quiver: hit index %d out of range [0:%d]", j, hi-lo))
	}
	h := lo + j
	offsets := unsafe.Slice((*uint64)(unsafe.Pointer(r.view.payload_offsets)), int(r.view.num_hits)+1)
	start, end := offsets[h], offsets[h+1]
	if end == start {
		return nil
	}
	data := unsafe.Slice((*byte)(unsafe.Pointer(r.view.payload_data)), int(r.view.payload_data_len))
	return append([]byte(nil), data[start:end]...)
}

// Explanation is what Explain returns: the hits of one search and how the
// planner searched each segment.
type Explanation struct {
	// Hits are the search's hits, best first (Payload nil).
	Hits []Hit `json:"hits"`
	// Segments describe the search of each segment.
	Segments []SegmentPlan `json:"segments"`
	// JSON is the library's document, as it came.
	JSON string `json:"-"`
}

// SegmentPlan is how one segment was searched.
type SegmentPlan struct {
	// Segment is the segment's id.
	Segment uint64 `json:"segment"`
	// Kind is "sealed", "frozen" or "appendable".
	Kind string `json:"kind"`
	// Live is the number of its live points.
	Live int `json:"live"`
	// Sure is the number of points its field indexes matched for sure, nil
	// when no index answered a condition of the filter.
	Sure *int `json:"sure"`
	// ToCheck is the number of points the filter is evaluated on.
	ToCheck int `json:"to_check"`
	// Estimate is the estimated number of matching points (exact when
	// nothing is left to check).
	Estimate float64 `json:"estimate"`
	// Plan is "graph" (no filter), "graph-indexed", "graph-two-hop",
	// "graph-filtered", "scan-candidates", "scan-filtered", "scan" (exact,
	// no filter) or "none" (nothing can match).
	Plan string `json:"plan"`
	// Cost is the plan's estimated cost, in distance computations.
	Cost float64 `json:"cost"`
	// Fallback: the graph came back short and an exact scan replaced it.
	Fallback bool `json:"fallback"`
}

// Explain runs one search as Search does (opts.WithPayload is ignored) and
// returns its hits with the planner's choices for each segment. Errors: as
// Search.
func (c *Collection) Explain(query []float32, opts SearchOptions) (Explanation, error) {
	k, err := opts.k()
	if err != nil {
		return Explanation{}, err
	}
	ef, err := opts.ef()
	if err != nil {
		return Explanation{}, err
	}
	ptr, err := c.acquire()
	if err != nil {
		return Explanation{}, err
	}
	defer c.release()
	st := C.qvgo_explain(ptr, floatsPtr(query), C.size_t(len(query)),
		C.uint32_t(k), ef, cbool(opts.Exact), C.float(opts.Oversampling), cbool(opts.NoRescore),
		stringPtr(opts.Filter), C.size_t(len(opts.Filter)))
	runtime.KeepAlive(query)
	runtime.KeepAlive(opts.Filter)
	if st.rc != C.QV_OK {
		return Explanation{}, takeError(st.rc, st.err)
	}
	defer C.qv_strings_free(st.strings)
	var text *C.char
	var n C.size_t
	var cerr *C.qv_error
	if rc := C.qv_strings_get(st.strings, 0, &text, &n, &cerr); rc != C.QV_OK {
		return Explanation{}, takeError(rc, cerr)
	}
	e := Explanation{JSON: C.GoStringN(text, C.int(n))}
	if err := json.Unmarshal([]byte(e.JSON), &e); err != nil {
		return Explanation{}, errorf(CodeInternal, "explain: the library's JSON does not parse: %v", err)
	}
	return e, nil
}
