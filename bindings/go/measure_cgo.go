//go:build quiverbench

// Direct C calls for the FFI overhead measurement (measure_test.go), built
// only with -tags quiverbench: the same qv_collection_search the package
// calls, without the Go API around it, and a loop that stays in C.

package quiver

/*
#include <stdlib.h>
#include <quiver.h>

// Runs iters single-query searches in C (no cgo transition per call).
static int32_t qvgo_bench_loop(const qv_collection *c, const float *query, size_t dim,
                               const qv_search_params *p, uint64_t iters, uint64_t *ids,
                               float *scores, uint32_t *counts) {
	for (uint64_t i = 0; i < iters; i++) {
		int32_t rc = qv_collection_search(c, query, 1, dim, p, ids, scores, p->k, counts, NULL);
		if (rc != QV_OK) return rc;
	}
	return QV_OK;
}
*/
import "C"

import "unsafe"

// directParams is a qv_search_params in C memory for the direct calls.
type directParams struct{ p *C.qv_search_params }

func newDirectParams(k, ef int) directParams {
	p := (*C.qv_search_params)(C.calloc(1, C.size_t(unsafe.Sizeof(C.qv_search_params{}))))
	C.qv_search_params_init(p)
	p.k = C.uint32_t(k)
	p.ef = C.uint32_t(ef)
	return directParams{p}
}

func (d directParams) free() { C.free(unsafe.Pointer(d.p)) }

// directSearch is one plain cgo call of qv_collection_search on c's handle
// (no lock, no checks, no error object): the floor the Go API is compared with.
func directSearch(c *Collection, d directParams, queries []float32, nq, dim int, ids []uint64, scores []float32, counts []uint32) int32 {
	return int32(C.qv_collection_search(c.ptr, (*C.float)(unsafe.Pointer(&queries[0])), C.size_t(nq), C.size_t(dim), d.p,
		(*C.uint64_t)(unsafe.Pointer(&ids[0])), (*C.float)(unsafe.Pointer(&scores[0])), C.size_t(len(ids)),
		(*C.uint32_t)(unsafe.Pointer(&counts[0])), nil))
}

// cLoop runs iters single-query searches inside C (one cgo call in all).
func cLoop(c *Collection, d directParams, query []float32, iters int, ids []uint64, scores []float32, counts []uint32) int32 {
	return int32(C.qvgo_bench_loop(c.ptr, (*C.float)(unsafe.Pointer(&query[0])), C.size_t(len(query)), d.p, C.uint64_t(iters),
		(*C.uint64_t)(unsafe.Pointer(&ids[0])), (*C.float)(unsafe.Pointer(&scores[0])), (*C.uint32_t)(unsafe.Pointer(&counts[0]))))
}
