// Package quiver embeds the Quiver vector database in a Go program.
//
// Quiver is written in Rust and shipped as a C library; this package is a
// thin cgo binding over its C interface (include/quiver.h) that links the
// static library target/release/libquiver.a of the repository (build it
// first with `cargo build --release` at the repository root). It converts
// types, owns handles and turns status codes into Go errors; the engine does
// everything else.
//
// A DB is one directory on disk holding named collections. A Collection
// holds points: a uint64 id, a float32 vector of the collection's dimension
// and an optional JSON payload. Open a database, create or open a
// collection, upsert points, search them, close both:
//
//	db, err := quiver.Open("/var/lib/myapp/vectors", nil)
//	if err != nil { ... }
//	defer db.Close()
//	docs, err := db.CreateCollection("docs", quiver.CollectionConfig{Dimension: 3})
//	if err != nil { ... }
//	defer docs.Close()
//	err = docs.Upsert([]uint64{1, 2}, [][]float32{{1, 0, 0}, {0, 1, 0}},
//		[][]byte{[]byte(`{"lang":"en"}`), []byte(`{"lang":"fr"}`)})
//	hits, err := docs.Search([]float32{0.9, 0.1, 0}, quiver.SearchOptions{K: 5})
//
// # Concurrency
//
// DB, Collection and Results may be used from any number of goroutines at
// once. Concurrent searches and writes on one collection are allowed; a
// search sees a write batch whole or not at all. Close waits for the calls
// in flight on the handle, releases it, and makes every later call return an
// error that matches ErrClosed. Closing a DB also closes the collections
// opened from it (their calls then return ErrClosed); their Close is still
// needed to release the Go handle, but a finalizer releases forgotten handles
// as a safety net.
//
// # Errors
//
// Every error the library reports is an *Error carrying the status code and
// a message with context. Test for a kind with errors.Is against the
// exported sentinels (ErrNotFound, ErrDimensionMismatch, ...), or get the
// details with errors.As.
//
// # Memory
//
// The library copies every input during the call and never keeps a Go
// pointer. Results of a batch search stay in library memory until
// Results.Close; their payloads are copied into Go only when asked for.
package quiver

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libquiver.a -lpthread -ldl -lm
#include <quiver.h>
*/
import "C"

import (
	"io"
	"unsafe"
)

// The handles are io.Closers.
var (
	_ io.Closer = (*DB)(nil)
	_ io.Closer = (*Collection)(nil)
	_ io.Closer = (*Results)(nil)
)

// HeaderVersion is the library version of the header this package was
// compiled against (QV_VERSION).
const HeaderVersion = C.QV_VERSION

// HeaderABIVersion is the ABI version of the header this package was
// compiled against (QV_ABI_VERSION). ABIVersion reports the linked library's.
const HeaderABIVersion = uint32(C.QV_ABI_VERSION)

// NoID is the id of an unused slot in the arrays filled by SearchInto.
const NoID = ^uint64(0)

// Version returns the version of the linked library ("0.1.0").
func Version() string {
	return C.GoString(C.qv_version())
}

// ABIVersion returns the ABI version of the linked library; it equals
// HeaderABIVersion unless the library and the header differ.
func ABIVersion() uint32 {
	return uint32(C.qv_abi_version())
}

// bytesPtr returns a pointer to the first byte of b for a C call, or nil
// when b is empty. The caller keeps b alive during the call.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// stringPtr returns a pointer to the bytes of s for a C call (the library
// reads exactly len(s) bytes and needs no NUL), or nil when s is empty.
func stringPtr(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s)))
}

// idsPtr returns a pointer to the first id of ids, or nil when it is empty.
func idsPtr(ids []uint64) *C.uint64_t {
	if len(ids) == 0 {
		return nil
	}
	return (*C.uint64_t)(unsafe.Pointer(&ids[0]))
}

// floatsPtr returns a pointer to the first float of v, or nil when it is empty.
func floatsPtr(v []float32) *C.float {
	if len(v) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&v[0]))
}
