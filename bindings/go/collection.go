package quiver

/*
#include <quiver.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Collection is a handle to a collection of points. It is safe for
// concurrent use by many goroutines: searches, reads and writes may run at
// once. Close it when done (closing the DB does not release it).
type Collection struct {
	mu   sync.RWMutex     // read side: calls; write side: Close
	ptr  *C.qv_collection // nil once closed
	name string
}

func newCollection(ptr *C.qv_collection, name string) *Collection {
	c := &Collection{ptr: ptr, name: name}
	runtime.SetFinalizer(c, (*Collection).finalize)
	return c
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// acquire returns the C handle for one call and holds the read lock, or
// fails with ErrClosed. Every successful acquire is followed by release.
func (c *Collection) acquire() (*C.qv_collection, error) {
	c.mu.RLock()
	if c.ptr == nil {
		c.mu.RUnlock()
		return nil, closedError("collection")
	}
	return c.ptr, nil
}

func (c *Collection) release() { c.mu.RUnlock() }

// Close waits for the calls in flight on this handle and releases it; later
// calls return ErrClosed. Other handles to the same collection are not
// affected. Closing twice is a no-op.
func (c *Collection) Close() error {
	if c == nil {
		return nil
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil // closed already
	}
	var cerr *C.qv_error
	rc := C.qv_collection_close(ptr, &cerr)
	c.release()
	if rc != C.QV_OK {
		err = takeError(rc, cerr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.qv_collection_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return err
}

func (c *Collection) finalize() {
	if c.ptr != nil {
		C.qv_collection_free(c.ptr)
		c.ptr = nil
	}
}

// Config returns the collection's configuration.
func (c *Collection) Config() (CollectionConfig, error) {
	ptr, err := c.acquire()
	if err != nil {
		return CollectionConfig{}, err
	}
	defer c.release()
	var out C.qv_collection_config
	var cerr *C.qv_error
	if rc := C.qv_collection_get_config(ptr, &out, &cerr); rc != C.QV_OK {
		return CollectionConfig{}, takeError(rc, cerr)
	}
	return configFromC(&out), nil
}

// Upsert inserts or replaces len(ids) points: vectors[i] (of the
// collection's dimension; nil for a metadata-only collection) and, when
// payloads is not nil, payloads[i], the point's payload as JSON text (empty
// = no payload). A repeated id: the last one wins. An upsert replaces the
// whole point: an existing point loses its sparse vectors (UpsertSparse
// gives them).
//
// The whole batch is checked before anything is written: on any error
// nothing changes. The batch is durable when Upsert returns (per the
// database's sync mode). Errors: ErrDimensionMismatch, ErrInvalidArgument
// (non-finite value, zero vector under cosine, invalid JSON, len(vectors) or
// len(payloads) differs from len(ids)), ErrClosed, ErrReadOnly, ErrIO.
// A payload is stored byte for byte as given: Get and Search return the
// same bytes.
func (c *Collection) Upsert(ids []uint64, vectors [][]float32, payloads [][]byte) error {
	if vectors != nil && len(vectors) != len(ids) {
		return errorf(CodeInvalidArgument, "%d ids but %d vectors", len(ids), len(vectors))
	}
	flat, err := flatten(vectors, "point")
	if err != nil {
		return err
	}
	err = c.UpsertFlat(ids, flat, payloads)
	runtime.KeepAlive(vectors)
	return err
}

// UpsertFlat is Upsert with the vectors in one row-major slice of
// len(ids) × dimension floats.
func (c *Collection) UpsertFlat(ids []uint64, vectors []float32, payloads [][]byte) error {
	var offsets []uint64
	var data []byte
	if payloads != nil {
		if len(payloads) != len(ids) {
			return errorf(CodeInvalidArgument, "%d ids but %d payloads", len(ids), len(payloads))
		}
		offsets, data = packPayloads(payloads)
	}
	return c.upsert(ids, vectors, offsets, data)
}

// packPayloads concatenates payloads into data, payload i at
// data[offsets[i]:offsets[i+1]].
func packPayloads(payloads [][]byte) (offsets []uint64, data []byte) {
	total := 0
	for _, p := range payloads {
		total += len(p)
	}
	offsets = make([]uint64, len(payloads)+1)
	data = make([]byte, 0, total)
	for i, p := range payloads {
		data = append(data, p...)
		offsets[i+1] = uint64(len(data))
	}
	return offsets, data
}

// Point is one point for UpsertPoints, and one point of a PointPage
// (ScrollPoints).
type Point struct {
	ID     uint64
	Vector []float32 // nil for a metadata-only collection
	// Payload is stored as JSON: nil means no payload; a []byte or
	// json.RawMessage is taken as JSON text as is; any other value is
	// marshalled with encoding/json. ScrollPoints sets it to a
	// json.RawMessage, byte for byte as written (nil when the point has
	// none or payloads were not asked for), so a page can be upserted
	// again as it is (but see Sparse).
	Payload any
	// Sparse are the point's named sparse vectors (nil or empty: none; an
	// empty vector is the same as none), as UpsertSparse takes them. An
	// upsert replaces the whole point, its sparse vectors included.
	// ScrollPoints leaves it nil (read them with GetSparse): upserting a
	// scrolled page again drops the points' sparse vectors.
	Sparse map[string]SparseVector
}

// UpsertPoints is Upsert for points whose payloads are Go values marshalled
// with encoding/json, with their sparse vectors (Point.Sparse; the checks
// and errors of UpsertSparse). A payload that cannot be marshalled fails the
// batch with ErrInvalidArgument before anything is written.
func (c *Collection) UpsertPoints(points []Point) error {
	ids := make([]uint64, len(points))
	vectors := make([][]float32, len(points))
	var offsets []uint64
	var data []byte
	for i, p := range points {
		ids[i] = p.ID
		vectors[i] = p.Vector
		js, err := payloadJSON(p.Payload)
		if err != nil {
			return errorf(CodeInvalidArgument, "payload of point %d (batch index %d): %v", p.ID, i, err)
		}
		if len(js) > 0 && offsets == nil {
			offsets = make([]uint64, len(points)+1) // points before i: no payload
		}
		if offsets != nil {
			data = append(data, js...)
			offsets[i+1] = uint64(len(data))
		}
	}
	cols, err := pointsSparseColumns(points, ids)
	if err != nil {
		return err
	}
	flat, err := flatten(vectors, "point")
	if err != nil {
		return err
	}
	return c.upsertSparse(ids, flat, offsets, data, cols)
}

// payloadJSON returns a payload as JSON text by the rule of Point.Payload:
// nil is nil (no payload), a []byte or json.RawMessage is the text as is,
// anything else is marshalled with encoding/json.
func payloadJSON(p any) ([]byte, error) {
	switch v := p.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(p)
}

// upsert makes the C call. offsets is nil (no payloads) or has len(ids)+1
// entries into data.
func (c *Collection) upsert(ids []uint64, vectors []float32, offsets []uint64, data []byte) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_upsert(ptr, idsPtr(ids), C.size_t(len(ids)),
		floatsPtr(vectors), C.size_t(len(vectors)),
		idsPtr(offsets), bytesPtr(data), C.size_t(len(data)), &cerr)
	runtime.KeepAlive(ids)
	runtime.KeepAlive(vectors)
	runtime.KeepAlive(offsets)
	runtime.KeepAlive(data)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// flatten returns rows as one row-major slice. When the rows already lie
// one after the other in one backing array (e.g. sub-slices of a flat
// buffer) it returns that array without copying. Rows of different lengths
// fail with ErrDimensionMismatch (what names the rows in the message).
func flatten(rows [][]float32, what string) ([]float32, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	dim := len(rows[0])
	for i, r := range rows {
		if len(r) != dim {
			return nil, errorf(CodeDimensionMismatch, "%s %d has %d floats, %s 0 has %d", what, i, len(r), what, dim)
		}
	}
	if dim == 0 {
		return nil, nil
	}
	if len(rows) == 1 {
		return rows[0], nil
	}
	if total := len(rows) * dim; cap(rows[0]) >= total {
		base := uintptr(unsafe.Pointer(&rows[0][0]))
		contiguous := true
		for i, r := range rows {
			if uintptr(unsafe.Pointer(&r[0])) != base+uintptr(i*dim)*4 {
				contiguous = false
				break
			}
		}
		if contiguous {
			return rows[0][:total], nil
		}
	}
	flat := make([]float32, 0, len(rows)*dim)
	for _, r := range rows {
		flat = append(flat, r...)
	}
	return flat, nil
}

// Record is one point read by Get.
type Record struct {
	ID     uint64
	Found  bool // false: no point has this id (Vector and Payload are nil)
	Vector []float32
	// Payload is the point's payload as JSON text, byte for byte as it was
	// written, nil when it has none; decode it with json.Unmarshal.
	Payload []byte
}

// Get reads the points with the given ids, one Record per id in the same
// order; ids that do not exist have Found false. Errors: ErrClosed,
// ErrOutOfMemory.
func (c *Collection) Get(ids ...uint64) ([]Record, error) {
	if len(ids) == 0 {
		return []Record{}, nil
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var pts *C.qv_points
	var cerr *C.qv_error
	rc := C.qv_collection_get(ptr, idsPtr(ids), C.size_t(len(ids)), &pts, &cerr)
	runtime.KeepAlive(ids)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.qv_points_free(pts)
	return readPoints(pts, true)
}

// readPoints copies the entries of pts (from qv_collection_get or
// qv_collection_scroll_points) into Go memory, one Record per entry.
// withVectors false leaves the vectors nil: a scroll without vectors still
// has dimension floats (zeros) per point in its view. A metadata-only
// collection gives nil vectors, points without payloads nil payloads.
func readPoints(pts *C.qv_points, withVectors bool) ([]Record, error) {
	var v C.qv_points_view
	var cerr *C.qv_error
	if rc := C.qv_points_get_view(pts, &v, &cerr); rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	n, dim := int(v.count), int(v.dimension)
	if n == 0 {
		return []Record{}, nil
	}
	found := unsafe.Slice((*byte)(unsafe.Pointer(v.found)), n)
	gotIDs := unsafe.Slice((*uint64)(unsafe.Pointer(v.ids)), n)
	var offsets []uint64
	if v.payload_offsets != nil {
		offsets = unsafe.Slice((*uint64)(unsafe.Pointer(v.payload_offsets)), n+1)
	}
	payloadData := unsafe.Slice((*byte)(unsafe.Pointer(v.payload_data)), int(v.payload_data_len))
	var vectors []float32
	if withVectors && dim > 0 && v.vectors != nil {
		vectors = make([]float32, n*dim) // one copy of all vectors, sliced per record
		copy(vectors, unsafe.Slice((*float32)(unsafe.Pointer(v.vectors)), n*dim))
	}
	out := make([]Record, n)
	for i := range out {
		r := &out[i]
		r.ID = gotIDs[i]
		r.Found = found[i] != 0
		if !r.Found {
			continue
		}
		if vectors != nil {
			r.Vector = vectors[i*dim : (i+1)*dim : (i+1)*dim]
		}
		if offsets == nil {
			continue
		}
		if lo, hi := offsets[i], offsets[i+1]; hi > lo {
			r.Payload = append([]byte(nil), payloadData[lo:hi]...)
		}
	}
	return out, nil
}

// Delete deletes the points with the given ids (ids that do not exist are
// ignored) and returns how many existed. Errors: ErrClosed, ErrReadOnly,
// ErrIO.
func (c *Collection) Delete(ids ...uint64) (int, error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var deleted C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_delete(ptr, idsPtr(ids), C.size_t(len(ids)), &deleted, &cerr)
	runtime.KeepAlive(ids)
	if rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(deleted), nil
}

// Count returns the number of points.
func (c *Collection) Count() (int, error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var n C.uint64_t
	var cerr *C.qv_error
	if rc := C.qv_collection_count(ptr, &n, &cerr); rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(n), nil
}

// Page is one page of ids from Scroll.
type Page struct {
	IDs     []uint64 // ascending
	Next    uint64   // pass as from to get the next page (when HasNext)
	HasNext bool
}

// Scroll returns up to limit ids of the points, in ascending order,
// starting at id from (inclusive; 0 starts at the beginning), of the points
// matching filter (JSON text such as `{"field": "lang", "eq": "fr"}`; ""
// = all points). Each page is consistent; pages taken while others write
// may reflect those writes. ScrollPoints reads whole points, optionally
// ordered by an indexed field. Errors: ErrInvalidArgument (limit < 1, bad
// filter), ErrClosed.
func (c *Collection) Scroll(from uint64, limit int, filter string) (Page, error) {
	if limit < 1 {
		return Page{}, errorf(CodeInvalidArgument, "scroll limit is %d, must be at least 1", limit)
	}
	ptr, err := c.acquire()
	if err != nil {
		return Page{}, err
	}
	defer c.release()
	ids := make([]uint64, limit)
	var count C.size_t
	var next C.uint64_t
	var hasNext C.uint8_t
	var cerr *C.qv_error
	rc := C.qv_collection_scroll(ptr, C.uint64_t(from), stringPtr(filter), C.size_t(len(filter)),
		idsPtr(ids), C.size_t(len(ids)), &count, &next, &hasNext, &cerr)
	runtime.KeepAlive(filter)
	runtime.KeepAlive(ids)
	if rc != C.QV_OK {
		return Page{}, takeError(rc, cerr)
	}
	return Page{IDs: ids[:int(count):int(count)], Next: uint64(next), HasNext: hasNext != 0}, nil
}

// ScrollAll returns the ids of all points matching filter ("" = all), in
// ascending order, paging through them with Scroll.
func (c *Collection) ScrollAll(filter string) ([]uint64, error) {
	const pageSize = 4096
	var all []uint64
	from := uint64(0)
	for {
		p, err := c.Scroll(from, pageSize, filter)
		if err != nil {
			return nil, err
		}
		all = append(all, p.IDs...)
		if !p.HasNext {
			return all, nil
		}
		from = p.Next
	}
}

// Checkpoint makes everything written so far part of the on-disk
// checkpoint and empties the write-ahead log (this also happens by itself as
// the log grows, and on close). Searches go on meanwhile; writes wait.
// Errors: ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) Checkpoint() error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	if rc := C.qv_collection_checkpoint(ptr, &cerr); rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// Optimize seals the collection's appendable segment, merges segments and
// reclaims the space of deleted and overwritten points, and returns when
// that is committed. The background optimizer does the same work by itself;
// Optimize is for when it must be done now (before a benchmark, a backup).
// Searches go on meanwhile. Errors: ErrClosed, ErrReadOnly, ErrOutOfMemory,
// ErrIO (nothing changed).
func (c *Collection) Optimize() error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	if rc := C.qv_collection_optimize(ptr, &cerr); rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// WaitOptimized blocks until the background optimizer has no work left for
// the collection (it waits as long as writes keep the optimizer busy, and
// Close of this handle waits for it). It does not report the outcome of the
// background runs: see Stats (OptimizerState, OptimizerRuns,
// OptimizerError). Errors: ErrClosed.
func (c *Collection) WaitOptimized() error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	if rc := C.qv_collection_wait_optimized(ptr, &cerr); rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// Verify reads every block of every file of the collection and checks it.
// It returns nil when all is well; otherwise ErrCorrupt with a message that
// names the file and the offset, or ErrClosed, ErrIO.
func (c *Collection) Verify() error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	if rc := C.qv_collection_verify(ptr, &cerr); rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// FieldKind is the kind of values a field index holds.
type FieldKind uint32

const (
	// Keyword indexes strings (equality, in, ordering by code point).
	Keyword FieldKind = C.QV_FIELD_KEYWORD
	// Integer indexes integers (a float with an integral value counts).
	Integer FieldKind = C.QV_FIELD_INTEGER
	// Float indexes numbers as doubles.
	Float FieldKind = C.QV_FIELD_FLOAT
	// Bool indexes booleans.
	Bool FieldKind = C.QV_FIELD_BOOL
	// Datetime indexes RFC 3339 datetime strings such as
	// "2024-05-01T12:00:00Z", compared as instants (lt, lte, gt, gte,
	// between with datetime strings; a time.Time in a filter builder
	// encodes as one).
	Datetime FieldKind = C.QV_FIELD_DATETIME
	// FieldText is a full-text index (BM25 TextSearch and the Text, TextAny
	// and Phrase filter conditions); CreateFieldIndex makes it with the
	// default TextIndexOptions, CreateTextIndex with others. (Not named
	// Text: that is the filter condition.)
	FieldText FieldKind = C.QV_FIELD_TEXT
)

// String returns the kind's name ("keyword", "integer", "float", "bool",
// "datetime", "text").
func (k FieldKind) String() string {
	switch k {
	case Keyword:
		return "keyword"
	case Integer:
		return "integer"
	case Float:
		return "float"
	case Bool:
		return "bool"
	case Datetime:
		return "datetime"
	case FieldText:
		return "text"
	}
	return fmt.Sprintf("FieldKind(%d)", uint32(k))
}

// FieldIndex describes one field index of a collection.
type FieldIndex struct {
	// Field is the payload field, a dotted path.
	Field string
	// Kind is what the index holds.
	Kind FieldKind
	// RAMBytes is the heap its per-segment indexes hold.
	RAMBytes uint64
	// DiskBytes is the size of its files.
	DiskBytes uint64
}

// CreateFieldIndex creates an index of kind on the payload field (a dotted
// path; an array field indexes each element) and builds it over every point
// before returning; searches and writes go on meanwhile. Durable when it
// returns. Filters with conditions on the field use it from then on.
// A field may have one value index and one text index (FieldText, or
// CreateTextIndex for other options).
// Errors: ErrAlreadyExists (an index of that family: a value index, or a
// text index for FieldText), ErrInvalidArgument (bad path or kind),
// ErrClosed, ErrReadOnly, ErrIO, ErrCorrupt.
func (c *Collection) CreateFieldIndex(field string, kind FieldKind) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_create_field_index(ptr, stringPtr(field), C.size_t(len(field)), C.uint32_t(kind), &cerr)
	runtime.KeepAlive(field)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// DropFieldIndex drops the value index on field (any kind but FieldText;
// see DropTextIndex) and removes its files. Errors: ErrNotFound,
// ErrInvalidArgument, ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) DropFieldIndex(field string) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_drop_field_index(ptr, stringPtr(field), C.size_t(len(field)), &cerr)
	runtime.KeepAlive(field)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// FieldIndexes lists the collection's field indexes in creation order.
// Errors: ErrClosed.
func (c *Collection) FieldIndexes() ([]FieldIndex, error) {
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var list *C.qv_field_indexes
	var cerr *C.qv_error
	if rc := C.qv_collection_list_field_indexes(ptr, &list, &cerr); rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.qv_field_indexes_free(list)
	out := make([]FieldIndex, int(C.qv_field_indexes_count(list)))
	for i := range out {
		var v C.qv_field_index_view
		if rc := C.qv_field_indexes_get(list, C.size_t(i), &v, &cerr); rc != C.QV_OK {
			return nil, takeError(rc, cerr)
		}
		out[i] = FieldIndex{
			Field:     C.GoString(v.field),
			Kind:      FieldKind(v.kind),
			RAMBytes:  uint64(v.ram_bytes),
			DiskBytes: uint64(v.disk_bytes),
		}
	}
	return out, nil
}
