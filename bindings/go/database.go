package quiver

/*
#include <quiver.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
)

// SyncMode says when writes are flushed to disk (Options.Sync).
type SyncMode uint32

const (
	// SyncEveryBatch fsyncs every write batch before it returns (default):
	// an acknowledged write survives a power loss.
	SyncEveryBatch SyncMode = C.QV_SYNC_EVERY_BATCH
	// SyncNever fsyncs only at checkpoints: writes survive a crash of the
	// process, not a power loss.
	SyncNever SyncMode = C.QV_SYNC_NEVER
)

// Options configure Open. The zero value is the default.
type Options struct {
	// Sync is SyncEveryBatch (default) or SyncNever.
	Sync SyncMode
}

// DB is an open database: a directory of collections. It is safe for
// concurrent use by many goroutines. Close it when done.
type DB struct {
	mu   sync.RWMutex   // read side: calls; write side: Close
	ptr  *C.qv_database // nil once closed
	path string
}

// Open opens the database in directory path, creating the directory if it
// does not exist. opts may be nil for the defaults. The directory is locked
// until Close: a second Open of it, in this process or another, fails with
// ErrLocked. Other errors: ErrInvalidArgument (empty path, bad options),
// ErrIncompatibleFormat (not a Quiver database), ErrCorrupt, ErrIO.
func Open(path string, opts *Options) (*DB, error) {
	var copts C.qv_database_options
	C.qv_database_options_init(&copts)
	if opts != nil {
		copts.sync = C.uint32_t(opts.Sync)
	}
	var out *C.qv_database
	var cerr *C.qv_error
	rc := C.qv_database_open(stringPtr(path), C.size_t(len(path)), &copts, &out, &cerr)
	runtime.KeepAlive(path)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	db := &DB{ptr: out, path: path}
	runtime.SetFinalizer(db, (*DB).finalize)
	return db, nil
}

// Path returns the directory the database was opened with.
func (db *DB) Path() string { return db.path }

// acquire returns the C handle for one call and holds the read lock, or
// fails with ErrClosed. Every successful acquire is followed by release.
func (db *DB) acquire() (*C.qv_database, error) {
	db.mu.RLock()
	if db.ptr == nil {
		db.mu.RUnlock()
		return nil, closedError("database")
	}
	return db.ptr, nil
}

func (db *DB) release() { db.mu.RUnlock() }

// Close checkpoints and closes every collection of the database, releases
// the directory lock and the handle. It waits for calls in flight; later
// calls on the DB, and on collections opened from it, return ErrClosed.
// Closing twice is a no-op. The database is closed even when the final
// checkpoint fails with ErrIO, which Close then returns.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	// qv_database_close runs under the read lock: it waits for the C calls
	// in flight while new calls fail fast in the library with ErrClosed
	// instead of queueing on the Go lock.
	ptr, err := db.acquire()
	if err != nil {
		return nil // closed already
	}
	var cerr *C.qv_error
	rc := C.qv_database_close(ptr, &cerr)
	db.release()
	if rc != C.QV_OK {
		err = takeError(rc, cerr)
	}
	// qv_database_free must not run concurrently with any call on it.
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.ptr != nil {
		C.qv_database_free(db.ptr)
		db.ptr = nil
		runtime.SetFinalizer(db, nil)
	}
	return err
}

// finalize releases a DB that became unreachable without Close (the
// library closes it once its collections are released too).
func (db *DB) finalize() {
	if db.ptr != nil {
		C.qv_database_free(db.ptr)
		db.ptr = nil
	}
}

// Kind is the kind of a collection (CollectionConfig.Kind).
type Kind uint32

const (
	// KindVector: points with vectors (default).
	KindVector Kind = C.QV_KIND_VECTOR
	// KindMetadataOnly: payloads only, no vectors (Dimension 0); get,
	// scroll and filters work, vector search does not.
	KindMetadataOnly Kind = C.QV_KIND_METADATA_ONLY
)

// Metric is the similarity or distance of a collection
// (CollectionConfig.Metric). Scores are always ordered best first.
type Metric uint32

const (
	// Cosine similarity, higher is closer (default).
	Cosine Metric = C.QV_METRIC_COSINE
	// Euclidean (L2, not squared) distance, lower is closer.
	Euclidean Metric = C.QV_METRIC_EUCLIDEAN
	// Dot product, higher is closer.
	Dot Metric = C.QV_METRIC_DOT
	// Hamming: the number of differing positions, lower is closer.
	Hamming Metric = C.QV_METRIC_HAMMING
	// Jaccard similarity of the non-zero positions, higher is closer.
	Jaccard Metric = C.QV_METRIC_JACCARD
)

// Storage is how a collection's sealed segments store what searches walk
// (CollectionConfig.Storage). It is fixed when the collection is created.
//
// Every mode but StorageF32 is quantized: graph searches of sealed segments
// walk compact codes (trained per segment when the optimizer seals it, or by
// Collection.TrainQuantizer) and rescore the best K × SearchOptions.Oversampling
// candidates on the original vectors, which stay on disk, so the scores
// returned are exact unless SearchOptions.NoRescore is set. The quantized
// modes take the metrics Cosine, Dot and Euclidean only, and vector
// collections only. The appendable segment (the latest writes) is always
// searched exactly.
type Storage uint32

const (
	// StorageF32: vectors stored and walked as 32-bit floats (default).
	StorageF32 Storage = C.QV_STORAGE_F32
	// StorageSQ8: one byte per dimension (scalar quantization, trained per
	// segment). Default oversampling 3.
	StorageSQ8 Storage = C.QV_STORAGE_SQ8
	// StorageF16: IEEE half floats, 2 bytes per dimension (11 significant
	// bits, values up to 65504). Default oversampling 2.
	StorageF16 Storage = C.QV_STORAGE_F16
	// StorageBF16: bfloat16, 2 bytes per dimension (8 significant bits,
	// the range of float32). Default oversampling 2.
	StorageBF16 Storage = C.QV_STORAGE_BF16
	// StorageBinary: one bit per dimension (the sign around the segment's
	// mean) plus 8 bytes per point. Default oversampling 5
	// (10 below 256 dimensions).
	StorageBinary Storage = C.QV_STORAGE_BINARY
	// StoragePQ: product quantization, one byte per subspace
	// (CollectionConfig.PQSubspaces, PQCentroids centroids each), trained by
	// k-means per segment. Default oversampling 5.
	StoragePQ Storage = C.QV_STORAGE_PQ
)

// String returns the mode's name ("f32", "sq8", "f16", "bf16", "binary",
// "pq"), or "Storage(N)" for a mode this package does not know.
func (s Storage) String() string {
	switch s {
	case StorageF32:
		return "f32"
	case StorageSQ8:
		return "sq8"
	case StorageF16:
		return "f16"
	case StorageBF16:
		return "bf16"
	case StorageBinary:
		return "binary"
	case StoragePQ:
		return "pq"
	}
	return fmt.Sprintf("Storage(%d)", uint32(s))
}

// CollectionConfig configures a new collection. Zero fields take the
// library's defaults (qv_collection_config_init): vector kind, cosine, HNSW
// m 16, ef_construction 200, ef_search 64, f32 storage, PQ subspaces
// automatic and 256 PQ centroids. Dimension must be set for a vector
// collection (1..65536) and 0 for a metadata-only one. Collection.Config
// reads back the values in effect (the defaults filled in; PQSubspaces 0
// when automatic).
type CollectionConfig struct {
	Kind      Kind
	Dimension int
	Metric    Metric
	// M is the number of HNSW links per node (2..128); 0 = default.
	M int
	// EfConstruction is the HNSW build candidate list (1..10000); 0 = default.
	EfConstruction int
	// EfSearch is the default search candidate list (1..10000); 0 = default.
	EfSearch int
	// Storage is StorageF32 (default) or one of the quantized modes
	// (StorageSQ8, StorageF16, StorageBF16, StorageBinary, StoragePQ). A
	// quantized mode with the Hamming or Jaccard metric, or with
	// KindMetadataOnly, fails CreateCollection with ErrInvalidArgument.
	Storage Storage
	// PQSubspaces (used by StoragePQ only, checked in every mode) is the number
	// of subspaces, the code bytes per point; it must divide Dimension
	// (ErrInvalidArgument naming config.pq_subspaces otherwise). 0 = automatic:
	// the largest divisor of Dimension not above Dimension/8 (48 for 384).
	// Collection.TrainQuantizer changes it later.
	PQSubspaces int
	// PQCentroids (StoragePQ only) is the number of centroids per subspace,
	// 2..256; 0 = default (256).
	PQCentroids int
}

// uint32Field is a Go int field of an option struct and the C field it
// sets (when not 0).
type uint32Field struct {
	name string
	v    int
	dst  *C.uint32_t
}

// setUint32Fields checks that each field fits a uint32 (ErrInvalidArgument
// naming what.name otherwise) and copies the non-zero ones into C.
func setUint32Fields(what string, fields []uint32Field) error {
	for _, f := range fields {
		if f.v < 0 || uint64(f.v) > 0xffffffff {
			return errorf(CodeInvalidArgument, "%s.%s is %d", what, f.name, f.v)
		}
		if f.v != 0 {
			*f.dst = C.uint32_t(f.v)
		}
	}
	return nil
}

// toC fills a C config from the defaults and the non-zero fields.
func (cfg CollectionConfig) toC() (C.qv_collection_config, error) {
	var c C.qv_collection_config
	C.qv_collection_config_init(&c)
	err := setUint32Fields("CollectionConfig", []uint32Field{
		{"Dimension", cfg.Dimension, &c.dimension},
		{"M", cfg.M, &c.hnsw_m},
		{"EfConstruction", cfg.EfConstruction, &c.hnsw_ef_construction},
		{"EfSearch", cfg.EfSearch, &c.hnsw_ef_search},
		{"PQSubspaces", cfg.PQSubspaces, &c.pq_subspaces},
		{"PQCentroids", cfg.PQCentroids, &c.pq_centroids},
	})
	if err != nil {
		return c, err
	}
	c.kind = C.uint32_t(cfg.Kind)
	c.metric = C.uint32_t(cfg.Metric)
	c.storage = C.uint32_t(cfg.Storage)
	return c, nil
}

func configFromC(c *C.qv_collection_config) CollectionConfig {
	return CollectionConfig{
		Kind:           Kind(c.kind),
		Dimension:      int(c.dimension),
		Metric:         Metric(c.metric),
		M:              int(c.hnsw_m),
		EfConstruction: int(c.hnsw_ef_construction),
		EfSearch:       int(c.hnsw_ef_search),
		Storage:        Storage(c.storage),
		PQSubspaces:    int(c.pq_subspaces),
		PQCentroids:    int(c.pq_centroids),
	}
}

// CreateCollection creates the collection name (1 to 64 ASCII letters,
// digits, '_', '-', '.', not starting with '.') and returns a handle to it.
// Errors: ErrInvalidArgument (bad name, field out of range, a quantized
// Storage with a metric or kind it does not support, PQSubspaces not
// dividing Dimension), ErrAlreadyExists, ErrClosed, ErrIO.
func (db *DB) CreateCollection(name string, cfg CollectionConfig) (*Collection, error) {
	ccfg, err := cfg.toC()
	if err != nil {
		return nil, err
	}
	ptr, err := db.acquire()
	if err != nil {
		return nil, err
	}
	defer db.release()
	var out *C.qv_collection
	var cerr *C.qv_error
	rc := C.qv_database_create_collection(ptr, stringPtr(name), C.size_t(len(name)), &ccfg, &out, &cerr)
	runtime.KeepAlive(name)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return newCollection(out, name), nil
}

// OpenCollection returns a handle to the existing collection name. Several
// handles to one collection may be open. Errors: ErrNotFound,
// ErrInvalidArgument (bad name), ErrClosed, ErrCorrupt, ErrIncompatibleFormat,
// ErrIO.
func (db *DB) OpenCollection(name string) (*Collection, error) {
	ptr, err := db.acquire()
	if err != nil {
		return nil, err
	}
	defer db.release()
	var out *C.qv_collection
	var cerr *C.qv_error
	rc := C.qv_database_open_collection(ptr, stringPtr(name), C.size_t(len(name)), &out, &cerr)
	runtime.KeepAlive(name)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return newCollection(out, name), nil
}

// ListCollections returns the names of the collections, sorted.
func (db *DB) ListCollections() ([]string, error) {
	ptr, err := db.acquire()
	if err != nil {
		return nil, err
	}
	defer db.release()
	var list *C.qv_strings
	var cerr *C.qv_error
	if rc := C.qv_database_list_collections(ptr, &list, &cerr); rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.qv_strings_free(list)
	n := int(C.qv_strings_count(list))
	names := make([]string, n)
	for i := range names {
		var s *C.char
		var l C.size_t
		if rc := C.qv_strings_get(list, C.size_t(i), &s, &l, &cerr); rc != C.QV_OK {
			return nil, takeError(rc, cerr)
		}
		names[i] = C.GoStringN(s, C.int(l))
	}
	return names, nil
}

// DropCollection deletes the collection name and its files. Open handles to
// it return ErrClosed afterwards; calls in flight on it finish first.
// Errors: ErrNotFound, ErrInvalidArgument, ErrClosed, ErrIO.
func (db *DB) DropCollection(name string) error {
	ptr, err := db.acquire()
	if err != nil {
		return err
	}
	defer db.release()
	var cerr *C.qv_error
	rc := C.qv_database_drop_collection(ptr, stringPtr(name), C.size_t(len(name)), &cerr)
	runtime.KeepAlive(name)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}
