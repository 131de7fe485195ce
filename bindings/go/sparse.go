package quiver

/*
#include <stdlib.h>
#include <quiver.h>

// The sparse search goes through this shim, as the other searches do
// (search.go, text.go): the name and filter pointers live in a C struct
// only during the call (never in Go memory passed to C), and the status,
// error and results come back by value. The sparse columns of an upsert or
// update are C memory (made by sparseColumnsC).
typedef struct {
	int32_t rc;
	qv_error *err;
	qv_results *results;
} qvgo_sparse_status;

// qvgo_sparse_search fills the params from qv_sparse_search_params_init:
// k 0 keeps the default (10).
static qvgo_sparse_status qvgo_sparse_search(const qv_collection *c, const uint32_t *indices,
                                             const float *values, size_t nnz, uint32_t k,
                                             uint32_t with_payload, const uint8_t *name,
                                             size_t name_len, const uint8_t *filter,
                                             size_t filter_len) {
	qv_sparse_search_params p;
	qv_sparse_search_params_init(&p);
	if (k != 0) p.k = k;
	p.with_payload = with_payload;
	p.name = name;
	p.name_len = name_len;
	p.filter_json = filter;
	p.filter_len = filter_len;
	qvgo_sparse_status s = {0, NULL, NULL};
	s.rc = qv_collection_sparse_search(c, indices, values, nnz, &p, &s.results, &s.err);
	return s;
}
*/
import "C"

import (
	"runtime"
	"slices"
	"unsafe"
)

// SparseVector is a sparse vector: Values[i] is the value at index
// Indices[i]. Indices may come in any order (the library stores them sorted
// and returns them sorted); an index given twice is an error, and so is a
// value that is not finite or a sum of squared values that is not finite
// in float32. An empty vector (no entries) is the same as none.
type SparseVector struct {
	Indices []uint32
	Values  []float32
}

// Len returns the number of entries (len(Indices)).
func (v SparseVector) Len() int { return len(v.Indices) }

// uint32sPtr returns a pointer to the first element of v, or nil when it
// is empty.
func uint32sPtr(v []uint32) *C.uint32_t {
	if len(v) == 0 {
		return nil
	}
	return (*C.uint32_t)(unsafe.Pointer(&v[0]))
}

// sparseColumn is one name's sparse vectors for a batch, a row per point.
type sparseColumn struct {
	name string
	rows []SparseVector
}

// checkRows checks that every row has one value per index (what CSR
// cannot express), naming the vector as the library does.
func (col *sparseColumn) checkRows(ids []uint64) error {
	for i, r := range col.rows {
		if len(r.Indices) != len(r.Values) {
			return errorf(CodeInvalidArgument,
				"the sparse vector %q of point %d (batch index %d): %d indices and %d values; give one value per index",
				col.name, ids[i], i, len(r.Indices), len(r.Values))
		}
	}
	return nil
}

// sparseColumnsC copies cols (rows checked by checkRows, len(ids) each)
// into one C buffer: the qv_sparse_column array, then each column's name,
// indptr, indices and values in compressed sparse row form, to which the
// entries point (C memory holding only C pointers). The caller frees it
// with C.free; nil when cols is empty.
func sparseColumnsC(cols []sparseColumn) *C.qv_sparse_column {
	if len(cols) == 0 {
		return nil
	}
	head := uintptr(len(cols)) * unsafe.Sizeof(C.qv_sparse_column{})
	size := align8(head)
	for i := range cols {
		col := &cols[i]
		nnz := 0
		for _, r := range col.rows {
			nnz += len(r.Indices)
		}
		size += align8(uintptr(len(col.name)))
		size += align8(uintptr(len(col.rows)+1) * 8)
		size += 2 * align8(uintptr(nnz)*4)
	}
	a := cArena{size: size}
	a.base = C.malloc(C.size_t(a.size)) // never nil: cgo's malloc crashes when out of memory
	out := unsafe.Slice((*C.qv_sparse_column)(a.take(head)), len(cols))
	for i := range cols {
		col := &cols[i]
		nnz := 0
		for _, r := range col.rows {
			nnz += len(r.Indices)
		}
		e := &out[i]
		*e = C.qv_sparse_column{}
		e.name = a.bytes(col.name)
		e.name_len = C.uint64_t(len(col.name))
		indptr := unsafe.Slice((*uint64)(a.take(uintptr(len(col.rows)+1)*8)), len(col.rows)+1)
		var indices []uint32
		var values []float32
		if nnz > 0 {
			indices = unsafe.Slice((*uint32)(a.take(uintptr(nnz)*4)), nnz)
			values = unsafe.Slice((*float32)(a.take(uintptr(nnz)*4)), nnz)
			e.indices = (*C.uint32_t)(unsafe.Pointer(&indices[0]))
			e.values = (*C.float)(unsafe.Pointer(&values[0]))
		}
		at := 0
		indptr[0] = 0
		for j, r := range col.rows {
			copy(indices[at:], r.Indices)
			copy(values[at:], r.Values)
			at += len(r.Indices)
			indptr[j+1] = uint64(at)
		}
		e.indptr = (*C.uint64_t)(unsafe.Pointer(&indptr[0]))
	}
	return &out[0]
}

// pointsSparseColumns turns the Sparse maps of points into one column per
// name, the names in ascending order, a row per point (an empty row for a
// point without that name); nil when no point has a sparse vector.
func pointsSparseColumns(points []Point, ids []uint64) ([]sparseColumn, error) {
	var names []string
	seen := map[string]bool{}
	for _, p := range points {
		for name := range p.Sparse {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	slices.Sort(names)
	cols := make([]sparseColumn, len(names))
	for c, name := range names {
		rows := make([]SparseVector, len(points))
		for i, p := range points {
			rows[i] = p.Sparse[name]
		}
		cols[c] = sparseColumn{name: name, rows: rows}
		if err := cols[c].checkRows(ids); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// UpsertSparse is Upsert with named sparse vectors: sparse maps each name
// to its vectors, one per id (len(ids) of them; an empty or nil vector: that
// point gets none of that name). As with every upsert, a point keeps only
// the sparse vectors given here: an upsert replaces the whole point.
// UpsertPoints takes the same vectors per point (Point.Sparse).
//
// A name is 1 to 256 bytes of UTF-8 without control characters; a point has
// at most 64 sparse vectors of at most 1,048,576 entries each. The whole
// batch is checked before anything is written: on any error nothing
// changes. Errors: those of Upsert, and ErrInvalidArgument for a bad name, a
// vector whose Indices and Values differ in length, an index given twice in
// a vector ("index 7 is given twice"), a value that is not finite, or a
// name whose vectors are not one per id; the message names the vector
// (`columns[0] ("splade")`, the names in ascending order) and the point by
// id and batch index.
func (c *Collection) UpsertSparse(ids []uint64, vectors [][]float32, payloads [][]byte, sparse map[string][]SparseVector) error {
	if vectors != nil && len(vectors) != len(ids) {
		return errorf(CodeInvalidArgument, "%d ids but %d vectors", len(ids), len(vectors))
	}
	if payloads != nil && len(payloads) != len(ids) {
		return errorf(CodeInvalidArgument, "%d ids but %d payloads", len(ids), len(payloads))
	}
	names := make([]string, 0, len(sparse))
	for name := range sparse {
		names = append(names, name)
	}
	slices.Sort(names)
	cols := make([]sparseColumn, len(names))
	for i, name := range names {
		rows := sparse[name]
		if len(rows) != len(ids) {
			return errorf(CodeInvalidArgument, "%d ids but %d sparse vectors named %q; give one (empty for none) per id",
				len(ids), len(rows), name)
		}
		cols[i] = sparseColumn{name: name, rows: rows}
		if err := cols[i].checkRows(ids); err != nil {
			return err
		}
	}
	flat, err := flatten(vectors, "point")
	if err != nil {
		return err
	}
	var offsets []uint64
	var data []byte
	if payloads != nil {
		offsets, data = packPayloads(payloads)
	}
	err = c.upsertSparse(ids, flat, offsets, data, cols)
	runtime.KeepAlive(vectors)
	return err
}

// upsertSparse makes the C call: upsert (plain qv_collection_upsert) when
// there are no columns.
func (c *Collection) upsertSparse(ids []uint64, vectors []float32, offsets []uint64, data []byte, cols []sparseColumn) error {
	if len(cols) == 0 {
		return c.upsert(ids, vectors, offsets, data)
	}
	columns := sparseColumnsC(cols)
	defer C.free(unsafe.Pointer(columns))
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_upsert_sparse(ptr, idsPtr(ids), C.size_t(len(ids)),
		floatsPtr(vectors), C.size_t(len(vectors)),
		idsPtr(offsets), bytesPtr(data), C.size_t(len(data)),
		columns, C.size_t(len(cols)), &cerr)
	runtime.KeepAlive(ids)
	runtime.KeepAlive(vectors)
	runtime.KeepAlive(offsets)
	runtime.KeepAlive(data)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// UpdateSparse sets the sparse vector called name of each of the points
// ids to vectors[i] (an empty or nil vector removes the point's vector of
// that name), leaving their dense vectors, payloads and other sparse
// vectors as they are, and returns how many of the points existed. Ids
// that do not exist are ignored; a repeated id takes its last vector.
// Everything is checked first: on any error nothing changes. Atomic and
// durable when it returns; the points rewritten, with their vectors and
// payloads, must fit in one write of 1 GiB. Errors: ErrInvalidArgument (a
// bad name, len(vectors) differs from len(ids), a vector as refused by
// UpsertSparse, a point over the limits), ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) UpdateSparse(ids []uint64, name string, vectors []SparseVector) (int, error) {
	if len(vectors) != len(ids) {
		return 0, errorf(CodeInvalidArgument, "%d ids but %d sparse vectors; give one (empty to remove) per id",
			len(ids), len(vectors))
	}
	col := []sparseColumn{{name: name, rows: vectors}}
	if err := col[0].checkRows(ids); err != nil {
		return 0, err
	}
	column := sparseColumnsC(col)
	defer C.free(unsafe.Pointer(column))
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var updated C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_update_sparse(ptr, idsPtr(ids), C.size_t(len(ids)), column, &updated, &cerr)
	runtime.KeepAlive(ids)
	if rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(updated), nil
}

// GetSparse reads the sparse vectors called name of the points ids, one
// per id in the same order, sorted by index. An empty vector (nil Indices
// and Values) means the point does not exist or has no vector of that
// name; Get tells the two apart. Errors: ErrInvalidArgument (a bad name),
// ErrClosed, ErrOutOfMemory.
func (c *Collection) GetSparse(ids []uint64, name string) ([]SparseVector, error) {
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var s *C.qv_sparse
	var cerr *C.qv_error
	rc := C.qv_collection_get_sparse(ptr, idsPtr(ids), C.size_t(len(ids)),
		stringPtr(name), C.size_t(len(name)), &s, &cerr)
	runtime.KeepAlive(ids)
	runtime.KeepAlive(name)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.qv_sparse_free(s)
	var v C.qv_sparse_view
	if rc := C.qv_sparse_get_view(s, &v, &cerr); rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	n := int(v.count)
	out := make([]SparseVector, n)
	if n == 0 {
		return out, nil
	}
	indptr := unsafe.Slice((*uint64)(unsafe.Pointer(v.indptr)), n+1)
	nnz := int(indptr[n])
	if nnz == 0 {
		return out, nil
	}
	// One copy of all entries, sliced per row.
	indices := make([]uint32, nnz)
	values := make([]float32, nnz)
	copy(indices, unsafe.Slice((*uint32)(unsafe.Pointer(v.indices)), nnz))
	copy(values, unsafe.Slice((*float32)(unsafe.Pointer(v.values)), nnz))
	for i := range out {
		lo, hi := int(indptr[i]), int(indptr[i+1])
		if hi > lo {
			out[i] = SparseVector{Indices: indices[lo:hi:hi], Values: values[lo:hi:hi]}
		}
	}
	return out, nil
}

// SparseSearchParams are the per-call parameters of SparseSearch (and of a
// sparse hybrid branch). The zero value takes the library's defaults.
type SparseSearchParams struct {
	// K is the number of results, 1..100000; 0 = the default (10).
	K int
	// Filter is an optional payload filter as JSON text, "" = none, as
	// SearchOptions.Filter (a Filter's String).
	Filter string
	// WithPayload returns the payloads of the hits (ignored in a hybrid
	// branch: see HybridParams.WithPayload).
	WithPayload bool
}

// SparseSearch is an exact sparse vector search: the best params.K points
// by the dot product of their sparse vector called name with query, among
// the points that share at least one index with the query and match
// params.Filter, best first (higher scores first, equal scores by
// ascending id), with their payloads when params.WithPayload is set. A
// score is the sum of the products of the shared indices, in ascending
// index order, in float32. A name no point carries, or an empty query,
// finds nothing. Errors: ErrInvalidArgument (a bad name, K out of range,
// query's Indices and Values of different lengths, an index given twice, a
// value that is not finite, a bad filter), ErrClosed, ErrIO,
// ErrOutOfMemory.
func (c *Collection) SparseSearch(name string, query SparseVector, params SparseSearchParams) ([]Hit, error) {
	if params.K < 0 || uint64(params.K) > 0xffffffff {
		return nil, errorf(CodeInvalidArgument, "SparseSearchParams.K is %d", params.K)
	}
	if len(query.Indices) != len(query.Values) {
		return nil, errorf(CodeInvalidArgument, "the sparse query vector: %d indices and %d values; give one value per index",
			len(query.Indices), len(query.Values))
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	st := C.qvgo_sparse_search(ptr, uint32sPtr(query.Indices), floatsPtr(query.Values),
		C.size_t(len(query.Indices)), C.uint32_t(params.K), cbool(params.WithPayload),
		stringPtr(name), C.size_t(len(name)),
		stringPtr(params.Filter), C.size_t(len(params.Filter)))
	runtime.KeepAlive(query.Indices)
	runtime.KeepAlive(query.Values)
	runtime.KeepAlive(name)
	runtime.KeepAlive(params.Filter)
	if st.rc != C.QV_OK {
		return nil, takeError(st.rc, st.err)
	}
	return singleQueryHits(st.results, params.WithPayload)
}
