package quiver

/*
#include <quiver.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// SegmentKind is the kind of a segment (SegmentStats.Kind). Later library
// versions may add kinds.
type SegmentKind uint32

const (
	// SegmentAppendable takes new writes (held in RAM, durable through the
	// log); it is searched exactly.
	SegmentAppendable SegmentKind = C.QV_SEGMENT_APPENDABLE
	// SegmentSealed is an immutable segment written by the optimizer, with
	// a graph index.
	SegmentSealed SegmentKind = C.QV_SEGMENT_SEALED
)

// String returns "appendable" or "sealed" (the names of Stats.JSON), or
// "segment kind N" for a kind this package does not know.
func (k SegmentKind) String() string {
	switch k {
	case SegmentAppendable:
		return "appendable"
	case SegmentSealed:
		return "sealed"
	}
	return fmt.Sprintf("segment kind %d", uint32(k))
}

// OptimizerState says what the background optimizer is doing for a
// collection (Stats.OptimizerState). Later library versions may add states.
type OptimizerState uint32

const (
	// OptimizerIdle: nothing to do.
	OptimizerIdle OptimizerState = C.QV_OPTIMIZER_IDLE
	// OptimizerPending: work is waiting for an optimizer thread.
	OptimizerPending OptimizerState = C.QV_OPTIMIZER_PENDING
	// OptimizerRunning: an optimizer thread is rewriting segments of the
	// collection.
	OptimizerRunning OptimizerState = C.QV_OPTIMIZER_RUNNING
)

// String returns "idle", "pending" or "running" (the names of Stats.JSON),
// or "optimizer state N" for a state this package does not know.
func (s OptimizerState) String() string {
	switch s {
	case OptimizerIdle:
		return "idle"
	case OptimizerPending:
		return "pending"
	case OptimizerRunning:
		return "running"
	}
	return fmt.Sprintf("optimizer state %d", uint32(s))
}

// SegmentStats describes one segment of a collection.
type SegmentStats struct {
	ID   uint64 // unique within the collection, never reused
	Kind SegmentKind
	// Points is the number of live points in the segment.
	Points uint64
	// Deleted counts the points the segment still stores that were deleted
	// or overwritten since it was written (space the optimizer reclaims).
	Deleted   uint64
	DiskBytes uint64 // bytes of the segment's files
	RAMBytes  uint64 // bytes of heap it holds (mapped files not included)
}

// ComponentStats describes one component of a collection (ids, vectors,
// payloads, graph, log, ...), summed over its segments.
type ComponentStats struct {
	// Name is "log", "ids", "vectors", "payloads", "graph" (the HNSW
	// index), "deleted", "manifest", "edges" (the edges between points:
	// Collection.AddEdges); later library versions add more.
	Name      string
	DiskBytes uint64 // bytes of its files
	RAMBytes  uint64 // bytes of heap it holds (mapped files not included)
}

// Stats is what a collection reports about itself (Collection.Stats): a
// snapshot copied into Go memory.
type Stats struct {
	// LivePoints is the number of points a search or Count can see.
	LivePoints uint64
	// DeletedPoints counts points still stored but deleted or overwritten
	// (not yet reclaimed by the optimizer).
	DeletedPoints uint64
	DiskBytes     uint64 // bytes of every file of the collection
	RAMBytes      uint64 // bytes of heap it holds (mapped files not included)
	// OptimizerState is what the background optimizer is doing.
	OptimizerState OptimizerState
	// OptimizerRuns counts the optimization runs completed since the
	// collection was opened.
	OptimizerRuns uint64
	// OptimizerError is the error of the last optimization run when it
	// failed, else nil.
	OptimizerError *string
	// ReadOnlyCause says why the collection refuses writes (see
	// ErrReadOnly), or is nil when it is writable.
	ReadOnlyCause *string
	// Segments lists every segment, appendable ones first.
	Segments []SegmentStats
	// Components lists the bytes per component.
	Components []ComponentStats
	// RebuiltOnOpen holds one sentence per derived file (graph, ...) found
	// missing or damaged when the collection was opened and rebuilt from
	// the primary data.
	RebuiltOnOpen []string
	// JSON is all of the above as one JSON document, with the library's
	// field names: live_points, deleted_points, edges (the number of edges),
	// disk_bytes, ram_bytes,
	// segments, components, optimizer {state, completed_runs, last_error},
	// rebuilt_on_open, read_only_cause.
	JSON string
}

// Stats returns the collection's statistics: points, segments, bytes on
// disk and in RAM per component, the optimizer's state, repairs made on
// open and the cause of a read-only state. A read-only collection still
// reports its stats. Errors: ErrClosed, ErrOutOfMemory, ErrIO.
func (c *Collection) Stats() (Stats, error) {
	ptr, err := c.acquire()
	if err != nil {
		return Stats{}, err
	}
	defer c.release()
	var st *C.qv_stats
	var cerr *C.qv_error
	if rc := C.qv_collection_stats(ptr, &st, &cerr); rc != C.QV_OK {
		return Stats{}, takeError(rc, cerr)
	}
	defer C.qv_stats_free(st)
	var v C.qv_stats_view
	if rc := C.qv_stats_get_view(st, &v, &cerr); rc != C.QV_OK {
		return Stats{}, takeError(rc, cerr)
	}
	// Everything is copied out of the view before qv_stats_free.
	out := Stats{
		LivePoints:     uint64(v.live_points),
		DeletedPoints:  uint64(v.deleted_points),
		DiskBytes:      uint64(v.disk_bytes),
		RAMBytes:       uint64(v.ram_bytes),
		OptimizerState: OptimizerState(v.optimizer_state),
		OptimizerRuns:  uint64(v.optimizer_runs),
		OptimizerError: optionalString(v.optimizer_error),
		ReadOnlyCause:  optionalString(v.read_only_cause),
		JSON:           C.GoString(v.json),
	}
	segments := unsafe.Slice(v.segments, int(v.segment_count))
	out.Segments = make([]SegmentStats, len(segments))
	for i, s := range segments {
		out.Segments[i] = SegmentStats{
			ID:        uint64(s.id),
			Kind:      SegmentKind(s.kind),
			Points:    uint64(s.points),
			Deleted:   uint64(s.deleted),
			DiskBytes: uint64(s.disk_bytes),
			RAMBytes:  uint64(s.ram_bytes),
		}
	}
	components := unsafe.Slice(v.components, int(v.component_count))
	out.Components = make([]ComponentStats, len(components))
	for i, comp := range components {
		out.Components[i] = ComponentStats{
			Name:      C.GoString(comp.name),
			DiskBytes: uint64(comp.disk_bytes),
			RAMBytes:  uint64(comp.ram_bytes),
		}
	}
	rebuilt := unsafe.Slice(v.rebuilt_on_open, int(v.rebuilt_count))
	out.RebuiltOnOpen = make([]string, len(rebuilt))
	for i, s := range rebuilt {
		out.RebuiltOnOpen[i] = C.GoString(s)
	}
	return out, nil
}

// optionalString copies a NUL-terminated string that may be NULL.
func optionalString(s *C.char) *string {
	if s == nil {
		return nil
	}
	g := C.GoString(s)
	return &g
}
