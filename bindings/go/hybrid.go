package quiver

/*
#include <stdlib.h>
#include <quiver.h>

// The hybrid and multi-query searches go through these shims, as the other
// searches do (search.go, text.go): the top-level parameter structs are
// built on the C stack during the call, the branch array with everything it
// points to is C memory (made by hybridBranchesC), and the status, error
// and results come back by value.
typedef struct {
	int32_t rc;
	qv_error *err;
	qv_results *results;
} qvgo_hybrid_status;

// qvgo_hybrid_search fills the params from qv_hybrid_params_init: k 0 and
// fusion 0 keep the defaults (10, QV_FUSION_RRF); rrf_k is the caller's
// (the Go side maps 0 to the default).
static qvgo_hybrid_status qvgo_hybrid_search(const qv_collection *c, uint32_t k, uint32_t fusion,
                                             float rrf_k, uint32_t with_payload,
                                             const qv_hybrid_branch *branches,
                                             uint64_t nbranches) {
	qv_hybrid_params p;
	qv_hybrid_params_init(&p);
	if (k != 0) p.k = k;
	if (fusion != 0) p.fusion = fusion;
	p.rrf_k = rrf_k;
	p.with_payload = with_payload;
	p.branches = branches;
	p.nbranches = nbranches;
	qvgo_hybrid_status s = {0, NULL, NULL};
	s.rc = qv_collection_hybrid_search(c, &p, &s.results, &s.err);
	return s;
}

// qvgo_multi_query_search fills the search params as search.go's
// qvgo_params does (k 0, oversampling 0 and no_rescore 0 keep the defaults)
// and the multi-query params from qv_multi_query_params_init (fusion 0 keeps
// QV_MULTI_RRF; rrf_k is the caller's; candidates 0 = k).
static qvgo_hybrid_status qvgo_multi_query_search(
	const qv_collection *c, const float *queries, size_t nq, size_t dim, uint32_t k, uint32_t ef,
	uint32_t exact, uint32_t with_payload, float oversampling, uint32_t no_rescore,
	const uint8_t *filter, size_t filter_len, uint32_t fusion, float rrf_k, uint32_t candidates,
	const float *weights, uint64_t nweights) {
	qv_search_params p;
	qv_search_params_init(&p);
	if (k != 0) p.k = k;
	p.ef = ef;
	p.exact = exact;
	p.with_payload = with_payload;
	if (oversampling != 0) p.oversampling = oversampling;
	if (no_rescore) p.rescore = 0;
	p.filter_json = filter;
	p.filter_len = filter_len;
	qv_multi_query_params m;
	qv_multi_query_params_init(&m);
	if (fusion != 0) m.fusion = fusion;
	m.rrf_k = rrf_k;
	m.candidates = candidates;
	m.weights = weights;
	m.nweights = nweights;
	qvgo_hybrid_status s = {0, NULL, NULL};
	s.rc = qv_collection_multi_query_search(c, queries, nq, dim, &p, &m, &s.results, &s.err);
	return s;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// The library's defaults (qv_hybrid_branch_init, qv_hybrid_params_init,
// qv_multi_query_params_init) for the fields whose zero value means "the
// default".
var (
	defaultBranchWeight = func() C.float {
		var b C.qv_hybrid_branch
		C.qv_hybrid_branch_init(&b)
		return b.weight
	}()
	defaultHybridRRFK = func() C.float {
		var p C.qv_hybrid_params
		C.qv_hybrid_params_init(&p)
		return p.rrf_k
	}()
	defaultMultiRRFK = func() C.float {
		var p C.qv_multi_query_params
		C.qv_multi_query_params_init(&p)
		return p.rrf_k
	}()
)

// Fusion is how HybridSearch merges the rankings of its branches
// (HybridParams.Fusion). Every fused score is higher-is-better; a distance
// branch (Euclidean) is negated first.
type Fusion uint32

const (
	// FusionRRF is reciprocal rank fusion (the default, also the zero
	// value): a point scores the sum over the branches holding it of
	// Weight / (RRFK + rank), rank counted from 1 in the branch's own
	// order. Only positions matter, so branches on different scales mix
	// freely.
	FusionRRF Fusion = C.QV_FUSION_RRF
	// FusionRSF is relative score fusion: each branch's scores min-max
	// normalised to [0, 1] (its best hit 1, its worst 0; all equal: 1),
	// summed with the weights.
	FusionRSF Fusion = C.QV_FUSION_RSF
	// FusionDBSF is distribution-based score fusion: each branch's scores
	// normalised over their mean ± 3 population standard deviations,
	// clamped to [0, 1] (all equal: 1), summed with the weights.
	FusionDBSF Fusion = C.QV_FUSION_DBSF
	// FusionWeighted is the weighted sum of the raw scores (distances
	// negated): meaningful only when the branches' scales are comparable,
	// or the weights make them so.
	FusionWeighted Fusion = C.QV_FUSION_WEIGHTED
)

// String returns the fusion's name ("rrf", "rsf", "dbsf", "weighted"); 0
// reads "rrf".
func (f Fusion) String() string {
	switch f {
	case 0, FusionRRF:
		return "rrf"
	case FusionRSF:
		return "rsf"
	case FusionDBSF:
		return "dbsf"
	case FusionWeighted:
		return "weighted"
	}
	return fmt.Sprintf("Fusion(%d)", uint32(f))
}

// BranchKind is what a HybridBranch searches.
type BranchKind uint32

const (
	// BranchDense is a vector search of HybridBranch.Vector with
	// HybridBranch.Search.
	BranchDense BranchKind = C.QV_BRANCH_DENSE
	// BranchText is a BM25 text search of HybridBranch.Query with
	// HybridBranch.Text.
	BranchText BranchKind = C.QV_BRANCH_TEXT
	// BranchSparse is a sparse vector search of HybridBranch.SparseQuery
	// among the sparse vectors called HybridBranch.SparseName, with
	// HybridBranch.Sparse.
	BranchSparse BranchKind = C.QV_BRANCH_SPARSE
)

// String returns the kind's name ("dense", "text", "sparse").
func (k BranchKind) String() string {
	switch k {
	case BranchDense:
		return "dense"
	case BranchText:
		return "text"
	case BranchSparse:
		return "sparse"
	}
	return fmt.Sprintf("BranchKind(%d)", uint32(k))
}

// HybridBranch is one branch of a hybrid search: a dense vector search, a
// BM25 text search or a sparse vector search, with its own parameters,
// filter and candidate depth. Make one with DenseBranch, TextBranch or
// SparseBranch (and set Weight), or set Kind and the fields of that kind;
// the fields of the other kinds are ignored.
type HybridBranch struct {
	// Kind is BranchDense, BranchText or BranchSparse (0 is refused with
	// ErrInvalidArgument).
	Kind BranchKind
	// Vector is the dense branch's query, of the collection's dimension.
	Vector []float32
	// Search are the dense branch's parameters: K is its candidate depth
	// (0 = 10), and Ef, Exact, Filter, Oversampling and NoRescore apply as
	// in Search. WithPayload is ignored (see HybridParams.WithPayload).
	Search SearchOptions
	// Query is the text branch's query text.
	Query string
	// Text are the text branch's parameters: K is its candidate depth (0 =
	// 10), and Mode, Fields (at least one, each with a text index) and
	// Filter apply as in TextSearch. WithPayload is ignored.
	Text TextSearchParams
	// SparseName is the sparse branch's vector name, as in SparseSearch.
	SparseName string
	// SparseQuery is the sparse branch's query vector.
	SparseQuery SparseVector
	// Sparse are the sparse branch's parameters: K is its candidate depth
	// (0 = 10), and Filter applies as in SparseSearch. WithPayload is
	// ignored.
	Sparse SparseSearchParams
	// Weight is the branch's weight in the fusion: finite, >= 0; 0 = the
	// default 1 (ExactZero: exactly 0, the branch's points stay candidates
	// but it adds nothing to their scores), as TextField.Boost.
	Weight float32
}

// DenseBranch returns a dense branch of weight 1 searching vector with
// opts (opts.K is the branch's candidate depth).
func DenseBranch(vector []float32, opts SearchOptions) HybridBranch {
	return HybridBranch{Kind: BranchDense, Vector: vector, Search: opts}
}

// TextBranch returns a text branch of weight 1 searching query with params
// (params.K is the branch's candidate depth).
func TextBranch(query string, params TextSearchParams) HybridBranch {
	return HybridBranch{Kind: BranchText, Query: query, Text: params}
}

// SparseBranch returns a sparse branch of weight 1 searching query among
// the sparse vectors called name with params (params.K is the branch's
// candidate depth).
func SparseBranch(name string, query SparseVector, params SparseSearchParams) HybridBranch {
	return HybridBranch{Kind: BranchSparse, SparseName: name, SparseQuery: query, Sparse: params}
}

// HybridParams are the parameters of HybridSearch. Branches is required;
// the zero value of every other field takes the library's default.
type HybridParams struct {
	// K is the number of fused results, 1..100000; 0 = the default (10).
	K int
	// Fusion is how the branches' rankings are merged: FusionRRF (the
	// default, also 0), FusionRSF, FusionDBSF or FusionWeighted.
	Fusion Fusion
	// RRFK is RRF's constant, finite and > 0 (FusionRRF only); 0 = the
	// default 60. A larger value flattens the difference between top and
	// lower ranks.
	RRFK float32
	// WithPayload returns the payloads of the hits.
	WithPayload bool
	// Branches are the searches fused, at least one.
	Branches []HybridBranch
}

// cArena hands out 8-byte aligned pieces of one C buffer of a size
// computed beforehand.
type cArena struct {
	base     unsafe.Pointer
	at, size uintptr
}

func align8(n uintptr) uintptr { return (n + 7) &^ 7 }

// take returns the next n bytes (nil for 0).
func (a *cArena) take(n uintptr) unsafe.Pointer {
	if n == 0 {
		return nil
	}
	if a.at+align8(n) > a.size {
		panic("quiver: internal error: C buffer overflow")
	}
	p := unsafe.Add(a.base, a.at)
	a.at += align8(n)
	return p
}

// bytes copies s into the arena (nil when empty).
func (a *cArena) bytes(s string) *C.uint8_t {
	p := a.take(uintptr(len(s)))
	if p == nil {
		return nil
	}
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.uint8_t)(p)
}

// floats copies v into the arena (nil when empty).
func (a *cArena) floats(v []float32) *C.float {
	p := a.take(uintptr(len(v)) * 4)
	if p == nil {
		return nil
	}
	copy(unsafe.Slice((*float32)(p), len(v)), v)
	return (*C.float)(p)
}

// uint32s copies v into the arena (nil when empty).
func (a *cArena) uint32s(v []uint32) *C.uint32_t {
	p := a.take(uintptr(len(v)) * 4)
	if p == nil {
		return nil
	}
	copy(unsafe.Slice((*uint32)(p), len(v)), v)
	return (*C.uint32_t)(p)
}

// branchesSize is the arena size hybridBranchesC needs for branches.
func branchesSize(branches []HybridBranch) uintptr {
	size := align8(uintptr(len(branches)) * unsafe.Sizeof(C.qv_hybrid_branch{}))
	for i := range branches {
		b := &branches[i]
		switch b.Kind {
		case BranchDense:
			size += align8(unsafe.Sizeof(C.qv_search_params{}))
			size += align8(uintptr(len(b.Vector)) * 4)
			size += align8(uintptr(len(b.Search.Filter)))
		case BranchText:
			size += align8(unsafe.Sizeof(C.qv_text_search_params{}))
			size += align8(uintptr(len(b.Text.Fields)) * unsafe.Sizeof(C.qv_text_field{}))
			for _, f := range b.Text.Fields {
				size += align8(uintptr(len(f.Name)))
			}
			size += align8(uintptr(len(b.Query)))
			size += align8(uintptr(len(b.Text.Filter)))
		case BranchSparse:
			size += align8(unsafe.Sizeof(C.qv_sparse_search_params{}))
			size += align8(uintptr(len(b.SparseQuery.Indices)) * 4)
			size += align8(uintptr(len(b.SparseQuery.Values)) * 4)
			size += align8(uintptr(len(b.SparseName)))
			size += align8(uintptr(len(b.Sparse.Filter)))
		}
	}
	return size
}

// checkBranches checks what the C structs cannot hold (ints out of the
// uint32 range), naming the branch.
func checkBranches(branches []HybridBranch) error {
	for i := range branches {
		b := &branches[i]
		switch b.Kind {
		case BranchDense:
			if b.Search.K < 0 || uint64(b.Search.K) > 0xffffffff {
				return errorf(CodeInvalidArgument, "HybridParams.Branches[%d].Search.K is %d", i, b.Search.K)
			}
			if b.Search.Ef < 0 || uint64(b.Search.Ef) > 0xffffffff {
				return errorf(CodeInvalidArgument, "HybridParams.Branches[%d].Search.Ef is %d", i, b.Search.Ef)
			}
		case BranchText:
			if b.Text.K < 0 || uint64(b.Text.K) > 0xffffffff {
				return errorf(CodeInvalidArgument, "HybridParams.Branches[%d].Text.K is %d", i, b.Text.K)
			}
		case BranchSparse:
			if b.Sparse.K < 0 || uint64(b.Sparse.K) > 0xffffffff {
				return errorf(CodeInvalidArgument, "HybridParams.Branches[%d].Sparse.K is %d", i, b.Sparse.K)
			}
			if q := &b.SparseQuery; len(q.Indices) != len(q.Values) {
				return errorf(CodeInvalidArgument,
					"HybridParams.Branches[%d].SparseQuery: %d indices and %d values; give one value per index",
					i, len(q.Indices), len(q.Values))
			}
		case 0:
			return errorf(CodeInvalidArgument,
				"HybridParams.Branches[%d].Kind is 0; make the branch with DenseBranch, TextBranch or SparseBranch, or set Kind to BranchDense, BranchText or BranchSparse", i)
		}
		// Other kinds go to the library, which names them.
	}
	return nil
}

// hybridBranchesC copies branches (checked by checkBranches) into one C
// buffer: the qv_hybrid_branch array, then each branch's parameter struct,
// text fields, vector (dense or sparse) and strings, to which the entries
// point (C memory
// holding only C pointers). The caller frees it with C.free; nil when
// branches is empty.
func hybridBranchesC(branches []HybridBranch) *C.qv_hybrid_branch {
	if len(branches) == 0 {
		return nil
	}
	a := cArena{size: branchesSize(branches)}
	a.base = C.malloc(C.size_t(a.size)) // never nil: cgo's malloc crashes when out of memory
	out := unsafe.Slice((*C.qv_hybrid_branch)(a.take(uintptr(len(branches))*unsafe.Sizeof(C.qv_hybrid_branch{}))), len(branches))
	for i := range branches {
		b := &branches[i]
		e := &out[i]
		C.qv_hybrid_branch_init(e)
		e.kind = C.uint32_t(b.Kind)
		e.weight = orDefault(b.Weight, defaultBranchWeight)
		switch b.Kind {
		case BranchDense:
			k, _ := b.Search.k()
			ef, _ := b.Search.ef()
			sp := (*C.qv_search_params)(a.take(unsafe.Sizeof(C.qv_search_params{})))
			C.qv_search_params_init(sp)
			sp.k = C.uint32_t(k)
			sp.ef = ef
			sp.exact = cbool(b.Search.Exact)
			if b.Search.Oversampling != 0 {
				sp.oversampling = C.float(b.Search.Oversampling)
			}
			if b.Search.NoRescore {
				sp.rescore = 0
			}
			sp.filter_json = a.bytes(b.Search.Filter)
			sp.filter_len = C.uint64_t(len(b.Search.Filter))
			e.vector = a.floats(b.Vector)
			e.dim = C.uint64_t(len(b.Vector))
			e.search = sp
		case BranchText:
			tp := (*C.qv_text_search_params)(a.take(unsafe.Sizeof(C.qv_text_search_params{})))
			C.qv_text_search_params_init(tp)
			if b.Text.K != 0 {
				tp.k = C.uint32_t(b.Text.K)
			}
			if b.Text.Mode != 0 {
				tp.mode = C.uint32_t(b.Text.Mode)
			}
			if n := len(b.Text.Fields); n > 0 {
				fields := unsafe.Slice((*C.qv_text_field)(a.take(uintptr(n)*unsafe.Sizeof(C.qv_text_field{}))), n)
				for j, f := range b.Text.Fields {
					fields[j] = C.qv_text_field{}
					fields[j].name = a.bytes(f.Name)
					fields[j].name_len = C.uint64_t(len(f.Name))
					fields[j].boost = orDefault(f.Boost, 1)
				}
				tp.fields = &fields[0]
			}
			tp.nfields = C.uint64_t(len(b.Text.Fields))
			tp.filter_json = a.bytes(b.Text.Filter)
			tp.filter_len = C.uint64_t(len(b.Text.Filter))
			e.query = a.bytes(b.Query)
			e.query_len = C.uint64_t(len(b.Query))
			e.text = tp
		case BranchSparse:
			sp := (*C.qv_sparse_search_params)(a.take(unsafe.Sizeof(C.qv_sparse_search_params{})))
			C.qv_sparse_search_params_init(sp)
			if b.Sparse.K != 0 {
				sp.k = C.uint32_t(b.Sparse.K)
			}
			sp.name = a.bytes(b.SparseName)
			sp.name_len = C.uint64_t(len(b.SparseName))
			sp.filter_json = a.bytes(b.Sparse.Filter)
			sp.filter_len = C.uint64_t(len(b.Sparse.Filter))
			e.sparse_indices = a.uint32s(b.SparseQuery.Indices)
			e.sparse_values = a.floats(b.SparseQuery.Values)
			e.sparse_nnz = C.uint64_t(len(b.SparseQuery.Indices))
			e.sparse = sp
		}
	}
	return &out[0]
}

// HybridSearch runs every branch of params (dense vector searches, BM25
// text searches and sparse vector searches, each with its own parameters,
// filter and candidate depth) on one snapshot of the collection (a write
// lands before all of them or after all of them), fuses their rankings with
// params.Fusion, each branch weighted by its Weight, and returns the best
// params.K points, best first (equal fused scores by ascending id), with
// their fused scores (higher is better, whatever the metric) and, when
// params.WithPayload is set, their payloads. Every point a branch finds is
// a candidate. Errors: ErrInvalidArgument (no branch, a bad Kind, a
// negative or non-finite Weight, RRFK not > 0, K or Fusion out of range, or
// any error of Search, TextSearch or SparseSearch for a branch, the message
// naming it: "branches[1]: ..."), ErrDimensionMismatch (a dense branch's
// vector), ErrUnsupported (a dense branch on a metadata-only collection),
// ErrClosed, ErrIO, ErrOutOfMemory.
func (c *Collection) HybridSearch(params HybridParams) ([]Hit, error) {
	if params.K < 0 || uint64(params.K) > 0xffffffff {
		return nil, errorf(CodeInvalidArgument, "HybridParams.K is %d", params.K)
	}
	if err := checkBranches(params.Branches); err != nil {
		return nil, err
	}
	branches := hybridBranchesC(params.Branches)
	if branches != nil {
		defer C.free(unsafe.Pointer(branches))
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	st := C.qvgo_hybrid_search(ptr, C.uint32_t(params.K), C.uint32_t(params.Fusion),
		orDefault(params.RRFK, defaultHybridRRFK), cbool(params.WithPayload),
		branches, C.uint64_t(len(params.Branches)))
	if st.rc != C.QV_OK {
		return nil, takeError(st.rc, st.err)
	}
	return singleQueryHits(st.results, params.WithPayload)
}

// singleQueryHits copies the hits (and payloads when asked for) of the one
// query of results, and frees them.
func singleQueryHits(results *C.qv_results, withPayload bool) ([]Hit, error) {
	r, err := newResults(results)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	hits := r.Hits(0)
	if withPayload {
		for j := range hits {
			hits[j].Payload = r.Payload(0, j)
		}
	}
	return hits, nil
}

// MultiFusion is how MultiQuerySearch merges the result lists of its query
// vectors (MultiQueryParams.Fusion). A point's fused score is computed over
// the lists that hold it: a list without it contributes nothing, not a zero
// score.
type MultiFusion uint32

const (
	// MultiRRF is reciprocal rank fusion (the default, also the zero
	// value): the sum of 1 / (RRFK + rank), rank counted from 1.
	// Higher-is-better scores.
	MultiRRF MultiFusion = C.QV_MULTI_RRF
	// MultiAverage is the mean of the point's scores over the lists that
	// hold it, in the metric's orientation (Euclidean distances stay
	// distances, smallest first).
	MultiAverage MultiFusion = C.QV_MULTI_AVERAGE
	// MultiMax is the point's best score (the smallest distance for
	// Euclidean), in the metric's orientation.
	MultiMax MultiFusion = C.QV_MULTI_MAX
	// MultiWeighted is the sum of Weights[i] × the point's score for query
	// i (distances negated). Higher-is-better scores.
	MultiWeighted MultiFusion = C.QV_MULTI_WEIGHTED
)

// String returns the fusion's name ("rrf", "average", "max", "weighted");
// 0 reads "rrf".
func (f MultiFusion) String() string {
	switch f {
	case 0, MultiRRF:
		return "rrf"
	case MultiAverage:
		return "average"
	case MultiMax:
		return "max"
	case MultiWeighted:
		return "weighted"
	}
	return fmt.Sprintf("MultiFusion(%d)", uint32(f))
}

// MultiQueryParams are how MultiQuerySearch fuses its queries; the zero
// value is RRF with k 60 and opts.K candidates per query.
type MultiQueryParams struct {
	// Fusion is MultiRRF (the default, also 0), MultiAverage, MultiMax or
	// MultiWeighted.
	Fusion MultiFusion
	// RRFK is RRF's constant, finite and > 0 (MultiRRF only); 0 = the
	// default 60.
	RRFK float32
	// Candidates is the number of hits each query contributes, at least
	// the search's K, up to 100000; 0 = the search's K.
	Candidates int
	// Weights are MultiWeighted's weights, one per query, each finite and
	// >= 0, taken as they are (0 is 0: unlike HybridBranch.Weight, there is
	// no default to stand for). Set only with MultiWeighted.
	Weights []float32
}

// MultiQuerySearch searches each of queries (vectors of the collection's
// dimension) with opts on one snapshot and fuses their result lists with
// m.Fusion into one ranking of opts.K points, best first (equal scores by
// ascending id), with their payloads when opts.WithPayload is set. Each
// query contributes its best m.Candidates hits. With MultiAverage and
// MultiMax the scores are in the metric's orientation (Euclidean distances
// stay distances, smallest first); with MultiRRF and MultiWeighted they are
// higher-is-better. Errors: ErrInvalidArgument (no query, Fusion out of
// range, RRFK not > 0, Candidates below K, Weights not one per query or
// negative, Weights without MultiWeighted, any error of Search),
// ErrDimensionMismatch, ErrUnsupported (metadata-only collection),
// ErrClosed, ErrOutOfMemory.
func (c *Collection) MultiQuerySearch(queries [][]float32, opts SearchOptions, m MultiQueryParams) ([]Hit, error) {
	k, err := opts.k()
	if err != nil {
		return nil, err
	}
	ef, err := opts.ef()
	if err != nil {
		return nil, err
	}
	if m.Candidates < 0 || uint64(m.Candidates) > 0xffffffff {
		return nil, errorf(CodeInvalidArgument, "MultiQueryParams.Candidates is %d", m.Candidates)
	}
	if len(m.Weights) > 0 && m.Fusion != MultiWeighted {
		return nil, errorf(CodeInvalidArgument,
			"MultiQueryParams.Weights has %d entries, but Fusion is %v; weights apply to MultiWeighted only", len(m.Weights), m.Fusion)
	}
	flat, err := flatten(queries, "query")
	if err != nil {
		return nil, err
	}
	dim := 0
	if len(queries) > 0 {
		dim = len(queries[0])
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	st := C.qvgo_multi_query_search(ptr, floatsPtr(flat), C.size_t(len(queries)), C.size_t(dim),
		C.uint32_t(k), ef, cbool(opts.Exact), cbool(opts.WithPayload),
		C.float(opts.Oversampling), cbool(opts.NoRescore),
		stringPtr(opts.Filter), C.size_t(len(opts.Filter)),
		C.uint32_t(m.Fusion), orDefault(m.RRFK, defaultMultiRRFK), C.uint32_t(m.Candidates),
		floatsPtr(m.Weights), C.uint64_t(len(m.Weights)))
	runtime.KeepAlive(flat)
	runtime.KeepAlive(queries)
	runtime.KeepAlive(opts.Filter)
	runtime.KeepAlive(m.Weights)
	if st.rc != C.QV_OK {
		return nil, takeError(st.rc, st.err)
	}
	return singleQueryHits(st.results, opts.WithPayload)
}
