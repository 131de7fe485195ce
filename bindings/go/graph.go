package quiver

/*
#include <stdlib.h>
#include <quiver.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"unsafe"
)

// ---- edges ----------------------------------------------------------------------

// Edge is a directed edge between two points of a collection, as AddEdges
// takes it and GetEdges and FindEdges return it.
type Edge struct {
	// ID is the caller's id for the edge; adding an edge whose id exists
	// replaces that edge.
	ID uint64
	// Source is the point the edge leaves, Target the point it reaches
	// (both points of the collection; they may be the same point).
	Source, Target uint64
	// Label is 1 to 256 bytes of UTF-8 without control characters.
	Label string
	// Weight is the edge's cost for weighted shortest paths: finite and
	// >= 0. 0 means the default, 1; ExactZero asks for exactly 0 (as
	// HybridBranch.Weight). GetEdges and FindEdges return an edge of
	// weight 0 with ExactZero (which == 0), so that an edge read back can
	// be added again as it is.
	Weight float32
	// Properties is an optional JSON object's text (at most 1 MiB), kept
	// byte for byte; nil or empty = none. Read back, nil when the edge has
	// none.
	Properties []byte
}

// edgesSize is the arena size edgesC needs for edges.
func edgesSize(edges []Edge) uintptr {
	size := align8(uintptr(len(edges)) * unsafe.Sizeof(C.qv_edge{}))
	for i := range edges {
		size += align8(uintptr(len(edges[i].Label)))
		size += align8(uintptr(len(edges[i].Properties)))
	}
	return size
}

// edgesC copies edges into one C buffer: the qv_edge array, then the
// labels and properties it points to (C memory holding only C pointers).
// The caller frees it with C.free; nil when edges is empty.
func edgesC(edges []Edge) *C.qv_edge {
	if len(edges) == 0 {
		return nil
	}
	a := cArena{size: edgesSize(edges)}
	a.base = C.malloc(C.size_t(a.size)) // never nil: cgo's malloc crashes when out of memory
	out := unsafe.Slice((*C.qv_edge)(a.take(uintptr(len(edges))*unsafe.Sizeof(C.qv_edge{}))), len(edges))
	for i := range edges {
		e := &edges[i]
		ce := &out[i]
		C.qv_edge_init(ce)
		ce.id = C.uint64_t(e.ID)
		ce.source = C.uint64_t(e.Source)
		ce.target = C.uint64_t(e.Target)
		ce.label = a.bytes(e.Label)
		ce.label_len = C.uint64_t(len(e.Label))
		if len(e.Properties) > 0 {
			p := a.take(uintptr(len(e.Properties)))
			copy(unsafe.Slice((*byte)(p), len(e.Properties)), e.Properties)
			ce.properties_json = (*C.uint8_t)(p)
			ce.properties_len = C.uint64_t(len(e.Properties))
		}
		ce.weight = orDefault(e.Weight, 1)
	}
	return &out[0]
}

// AddEdges adds edges to the collection, or replaces the edges with their
// ids; a repeated id in the batch: the last one wins. The whole batch is
// checked first (labels, weights, properties, that both ends are points of
// the collection, and the label schema if one is set: SetGraphSchema): on
// any error nothing is written. Atomic and durable when it returns (as an
// upsert). Deleting a point removes its edges, in and out; upserting it
// again keeps them.
//
// Errors: ErrInvalidArgument (a bad label, a weight that is negative or
// not finite, properties that are not a JSON object, an edge the schema
// refuses; the message names the edge as `edges[i] (id N)`), ErrNotFound
// (an end is not a point of the collection), ErrClosed, ErrReadOnly,
// ErrIO.
func (c *Collection) AddEdges(edges ...Edge) error {
	if len(edges) == 0 {
		return nil
	}
	cedges := edgesC(edges)
	defer C.free(unsafe.Pointer(cedges))
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	if rc := C.qv_collection_add_edges(ptr, cedges, C.size_t(len(edges)), &cerr); rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// RemoveEdges removes the edges with the given ids and returns how many
// existed (ids without an edge are ignored). Durable when it returns.
// Errors: ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) RemoveEdges(ids ...uint64) (int, error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var removed C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_remove_edges(ptr, idsPtr(ids), C.size_t(len(ids)), &removed, &cerr)
	runtime.KeepAlive(ids)
	if rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(removed), nil
}

// readEdges copies the edges of list into Go memory and frees list.
func readEdges(list *C.qv_edges) ([]Edge, error) {
	defer C.qv_edges_free(list)
	out := make([]Edge, int(C.qv_edges_count(list)))
	for i := range out {
		var e C.qv_edge
		var cerr *C.qv_error
		if rc := C.qv_edges_get(list, C.size_t(i), &e, &cerr); rc != C.QV_OK {
			return nil, takeError(rc, cerr)
		}
		w := float32(e.weight)
		if w == 0 {
			w = ExactZero
		}
		out[i] = Edge{
			ID:     uint64(e.id),
			Source: uint64(e.source),
			Target: uint64(e.target),
			Label:  C.GoStringN((*C.char)(unsafe.Pointer(e.label)), C.int(e.label_len)),
			Weight: w,
		}
		if e.properties_json != nil && e.properties_len > 0 {
			out[i].Properties = C.GoBytes(unsafe.Pointer(e.properties_json), C.int(e.properties_len))
		}
	}
	return out, nil
}

// GetEdges reads the edges with the given ids: the edges found, in the
// order of ids (an id without an edge is left out: compare Edge.ID).
// Errors: ErrClosed, ErrOutOfMemory.
func (c *Collection) GetEdges(ids ...uint64) ([]Edge, error) {
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var list *C.qv_edges
	var cerr *C.qv_error
	rc := C.qv_collection_get_edges(ptr, idsPtr(ids), C.size_t(len(ids)), &list, &cerr)
	runtime.KeepAlive(ids)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return readEdges(list)
}

// EdgeQuery selects edges for FindEdges: those leaving Source (nil = any
// source), reaching Target (nil = any target) and labelled Label ("" =
// any label). The zero value selects every edge. EdgesFrom, EdgesTo,
// EdgesBetween and WithLabel build one:
//
//	edges, err := c.FindEdges(quiver.EdgesFrom(7).WithLabel("cites"))
type EdgeQuery struct {
	Source *uint64
	Target *uint64
	Label  string
}

// EdgesFrom selects the edges leaving source.
func EdgesFrom(source uint64) EdgeQuery { return EdgeQuery{Source: &source} }

// EdgesTo selects the edges reaching target.
func EdgesTo(target uint64) EdgeQuery { return EdgeQuery{Target: &target} }

// EdgesBetween selects the edges from source to target.
func EdgesBetween(source, target uint64) EdgeQuery {
	return EdgeQuery{Source: &source, Target: &target}
}

// WithLabel returns q selecting only the edges labelled label.
func (q EdgeQuery) WithLabel(label string) EdgeQuery {
	q.Label = label
	return q
}

// FindEdges returns the edges q selects, by ascending edge id. With
// neither Source nor Target it reads every edge (of the label). A label no
// edge has finds nothing. Errors: ErrInvalidArgument (a label that is not
// valid UTF-8), ErrClosed, ErrOutOfMemory.
func (c *Collection) FindEdges(q EdgeQuery) ([]Edge, error) {
	// The ends as C memory-free Go values: pointers to plain uint64 locals.
	var source, target C.uint64_t
	var sp, tp *C.uint64_t
	if q.Source != nil {
		source = C.uint64_t(*q.Source)
		sp = &source
	}
	if q.Target != nil {
		target = C.uint64_t(*q.Target)
		tp = &target
	}
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var list *C.qv_edges
	var cerr *C.qv_error
	rc := C.qv_collection_find_edges(ptr, sp, tp, stringPtr(q.Label), C.size_t(len(q.Label)), &list, &cerr)
	runtime.KeepAlive(q.Label)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return readEdges(list)
}

// Degree returns the number of edges reaching (in) and leaving (out) point,
// only those labelled label unless it is "". An edge from the point to
// itself counts in both. A point without edges, or that is not a point of
// the collection, has 0 and 0. Errors: ErrInvalidArgument (a label that is
// not valid UTF-8), ErrClosed.
func (c *Collection) Degree(point uint64, label string) (in, out int, err error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, 0, err
	}
	defer c.release()
	var ci, co C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_degree(ptr, C.uint64_t(point), stringPtr(label), C.size_t(len(label)), &ci, &co, &cerr)
	runtime.KeepAlive(label)
	if rc != C.QV_OK {
		return 0, 0, takeError(rc, cerr)
	}
	return int(ci), int(co), nil
}

// CountEdges returns the number of edges of the collection. Errors:
// ErrClosed.
func (c *Collection) CountEdges() (int, error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var n C.uint64_t
	var cerr *C.qv_error
	if rc := C.qv_collection_count_edges(ptr, &n, &cerr); rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(n), nil
}

// ---- label schema ----------------------------------------------------------------

// GraphSchema is a collection's label schema (SetGraphSchema): only the
// labels in Labels are allowed on its edges, and an edge's source and
// target payloads must match its label's filters. Its JSON form is
// `{"labels": {"LABEL": {"source": FILTER, "target": FILTER}, ...}}`.
type GraphSchema struct {
	Labels map[string]LabelRule
}

// LabelRule is what a GraphSchema asks of the edges of one label: the
// payload filters (JSON text, as SearchOptions.Filter and a Filter's
// String) their source and target must match; "" = any point.
type LabelRule struct {
	Source string
	Target string
}

type labelRuleJSON struct {
	Source json.RawMessage `json:"source,omitempty"`
	Target json.RawMessage `json:"target,omitempty"`
}

type graphSchemaJSON struct {
	Labels map[string]labelRuleJSON `json:"labels"`
}

// MarshalJSON returns the schema's JSON form (the labels in ascending
// order). A filter that is not valid JSON fails.
func (s GraphSchema) MarshalJSON() ([]byte, error) {
	out := graphSchemaJSON{Labels: make(map[string]labelRuleJSON, len(s.Labels))}
	for label, r := range s.Labels {
		var j labelRuleJSON
		for _, f := range []struct {
			text string
			dst  *json.RawMessage
			what string
		}{{r.Source, &j.Source, "source"}, {r.Target, &j.Target, "target"}} {
			if f.text == "" {
				continue
			}
			if !json.Valid([]byte(f.text)) {
				return nil, fmt.Errorf("label %q: the %s filter is not valid JSON", label, f.what)
			}
			*f.dst = json.RawMessage(f.text)
		}
		out.Labels[label] = j
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the schema's JSON form; a label's filters are kept
// as JSON text (compacted).
func (s *GraphSchema) UnmarshalJSON(data []byte) error {
	var in graphSchemaJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	s.Labels = make(map[string]LabelRule, len(in.Labels))
	for label, r := range in.Labels {
		s.Labels[label] = LabelRule{Source: string(r.Source), Target: string(r.Target)}
	}
	return nil
}

// SetGraphSchema sets the collection's label schema, or removes it when
// schema is nil. Every existing edge must follow the new schema, or the
// call fails naming one that does not and changes nothing. Kept across
// reopens; durable when it returns. Errors: ErrInvalidArgument (a bad
// label or filter, an existing edge the schema refuses), ErrClosed,
// ErrReadOnly, ErrIO.
func (c *Collection) SetGraphSchema(schema *GraphSchema) error {
	if schema == nil {
		return c.SetGraphSchemaJSON("")
	}
	text, err := json.Marshal(schema)
	if err != nil {
		return errorf(CodeInvalidArgument, "graph schema: %v", err)
	}
	return c.SetGraphSchemaJSON(string(text))
}

// SetGraphSchemaJSON is SetGraphSchema with the schema as JSON text ("" =
// remove it).
func (c *Collection) SetGraphSchemaJSON(schema string) error {
	ptr, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	var cerr *C.qv_error
	rc := C.qv_collection_set_graph_schema(ptr, stringPtr(schema), C.size_t(len(schema)), &cerr)
	runtime.KeepAlive(schema)
	if rc != C.QV_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// GraphSchemaJSON returns the collection's label schema as JSON text, as
// the library writes it, or "" when there is none. Errors: ErrClosed.
func (c *Collection) GraphSchemaJSON() (string, error) {
	ptr, err := c.acquire()
	if err != nil {
		return "", err
	}
	defer c.release()
	var list *C.qv_strings
	var cerr *C.qv_error
	if rc := C.qv_collection_get_graph_schema(ptr, &list, &cerr); rc != C.QV_OK {
		return "", takeError(rc, cerr)
	}
	defer C.qv_strings_free(list)
	if C.qv_strings_count(list) == 0 {
		return "", nil
	}
	var s *C.char
	var n C.size_t
	if rc := C.qv_strings_get(list, 0, &s, &n, &cerr); rc != C.QV_OK {
		return "", takeError(rc, cerr)
	}
	return C.GoStringN(s, C.int(n)), nil
}

// GraphSchema returns the collection's label schema, or nil when there is
// none. Errors: ErrClosed.
func (c *Collection) GraphSchema() (*GraphSchema, error) {
	text, err := c.GraphSchemaJSON()
	if err != nil || text == "" {
		return nil, err
	}
	var s GraphSchema
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, errorf(CodeInternal, "graph schema: the library's JSON does not parse: %v", err)
	}
	return &s, nil
}

// ---- traversal options -------------------------------------------------------------

// Direction is which edges of a point a hop follows.
type Direction uint32

const (
	// DirectionOut follows the edges leaving a point, to their targets (the
	// default, also the zero value).
	DirectionOut Direction = C.QV_DIRECTION_OUT
	// DirectionIn follows the edges reaching a point, back to their
	// sources.
	DirectionIn Direction = C.QV_DIRECTION_IN
	// DirectionBoth follows both (an edge from a point to itself once).
	DirectionBoth Direction = C.QV_DIRECTION_BOTH
)

// String returns "out", "in" or "both".
func (d Direction) String() string {
	switch d {
	case DirectionOut:
		return "out"
	case DirectionIn:
		return "in"
	case DirectionBoth:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint32(d))
}

// Order is the order of a traversal.
type Order uint32

const (
	// BFS is breadth first (the default, also the zero value): level by
	// level, each point at its least depth from a start.
	BFS Order = C.QV_BFS
	// DFS is depth first (preorder): each branch to its end first, each
	// point at the depth at which the walk first reached it (which may be
	// more than its least depth; it is not walked again from a shallower
	// depth).
	DFS Order = C.QV_DFS
)

// String returns "bfs" or "dfs".
func (o Order) String() string {
	switch o {
	case BFS:
		return "bfs"
	case DFS:
		return "dfs"
	}
	return fmt.Sprintf("Order(%d)", uint32(o))
}

// TraverseOptions are what a traversal (Traverse, SearchExpand,
// TraverseRanked) follows and returns. The zero value is the library's
// default: breadth first, the points one hop out of the starts, along any
// label, at most 1,000 of them.
//
// The walk visits the neighbours of a point by ascending edge id, and
// returns each point once, in walk order, with the start it was reached
// from and the edges that led there.
type TraverseOptions struct {
	// Order is BFS (the default, also 0) or DFS.
	Order Order
	// MinDepth: points reached in fewer hops are walked through but not
	// returned; 0 = the default 1. See IncludeStarts for depth 0.
	MinDepth int
	// IncludeStarts returns the start points too, at depth 0 (the
	// library's min_depth 0); MinDepth must then be 0.
	IncludeStarts bool
	// MaxDepth is the most hops from a start, 1 to 1000; 0 = the default 1.
	MaxDepth int
	// Direction is DirectionOut (the default, also 0), DirectionIn or
	// DirectionBoth.
	Direction Direction
	// Labels are the labels every hop may follow; nil or empty = any.
	Labels []string
	// HopLabels are labels per hop: hop i (counted from 1) follows
	// HopLabels[i-1] when it is not empty, else Labels. At most MaxDepth
	// entries; nil = none.
	HopLabels [][]string
	// Filter is an optional payload filter as JSON text ("" = none, as
	// SearchOptions.Filter): a point reached by a hop that does not match
	// it is neither returned nor walked through. Start points are not
	// tested.
	Filter string
	// Limit is the most points returned, 1 to 10,000,000; the walk stops
	// there. 0 = the default 1,000.
	Limit int
}

// check checks what the C struct cannot hold, naming the field.
func (o *TraverseOptions) check() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"MinDepth", o.MinDepth}, {"MaxDepth", o.MaxDepth}, {"Limit", o.Limit}} {
		if f.v < 0 || uint64(f.v) > math.MaxUint32 {
			return errorf(CodeInvalidArgument, "TraverseOptions.%s is %d", f.name, f.v)
		}
	}
	if o.IncludeStarts && o.MinDepth != 0 {
		return errorf(CodeInvalidArgument,
			"TraverseOptions.IncludeStarts is set with MinDepth %d; IncludeStarts returns every depth from 0: leave MinDepth 0", o.MinDepth)
	}
	return nil
}

// labelsSize is the arena size of labels as a qv_label array and bytes.
func labelsSize(labels []string) uintptr {
	size := align8(uintptr(len(labels)) * unsafe.Sizeof(C.qv_label{}))
	for _, l := range labels {
		size += align8(uintptr(len(l)))
	}
	return size
}

// labels copies labels into the arena as a qv_label array (nil when empty).
func (a *cArena) labels(labels []string) *C.qv_label {
	if len(labels) == 0 {
		return nil
	}
	out := unsafe.Slice((*C.qv_label)(a.take(uintptr(len(labels))*unsafe.Sizeof(C.qv_label{}))), len(labels))
	for i, l := range labels {
		out[i] = C.qv_label{name: a.bytes(l), len: C.uint64_t(len(l))}
	}
	return &out[0]
}

// traverseParamsC copies o (checked by check) into one C buffer: the
// qv_traverse_params, then the labels, per-hop labels, their indptr and
// the filter, to which it points. The caller frees it with C.free.
func traverseParamsC(o *TraverseOptions) *C.qv_traverse_params {
	var flat []string
	for _, h := range o.HopLabels {
		flat = append(flat, h...)
	}
	size := align8(unsafe.Sizeof(C.qv_traverse_params{}))
	size += labelsSize(o.Labels) + labelsSize(flat)
	if len(o.HopLabels) > 0 {
		size += align8(uintptr(len(o.HopLabels)+1) * 8)
	}
	size += align8(uintptr(len(o.Filter)))
	a := cArena{size: size}
	a.base = C.malloc(C.size_t(a.size)) // never nil: cgo's malloc crashes when out of memory
	p := (*C.qv_traverse_params)(a.take(unsafe.Sizeof(C.qv_traverse_params{})))
	C.qv_traverse_params_init(p)
	p.order = C.uint32_t(o.Order)
	if o.IncludeStarts {
		p.min_depth = 0
	} else if o.MinDepth != 0 {
		p.min_depth = C.uint32_t(o.MinDepth)
	}
	if o.MaxDepth != 0 {
		p.max_depth = C.uint32_t(o.MaxDepth)
	}
	p.direction = C.uint32_t(o.Direction)
	if o.Limit != 0 {
		p.limit = C.uint32_t(o.Limit)
	}
	p.labels = a.labels(o.Labels)
	p.nlabels = C.uint64_t(len(o.Labels))
	if n := len(o.HopLabels); n > 0 {
		indptr := unsafe.Slice((*uint64)(a.take(uintptr(n+1)*8)), n+1)
		indptr[0] = 0
		for i, h := range o.HopLabels {
			indptr[i+1] = indptr[i] + uint64(len(h))
		}
		p.hop_labels = a.labels(flat)
		p.hop_indptr = (*C.uint64_t)(unsafe.Pointer(&indptr[0]))
		p.nhops = C.uint64_t(n)
	}
	p.filter_json = a.bytes(o.Filter)
	p.filter_len = C.uint64_t(len(o.Filter))
	return p
}

// ---- traversal results --------------------------------------------------------------

// Visit is one point a traversal returned.
type Visit struct {
	// ID is the point's id.
	ID uint64
	// Origin is the start point (or, in SearchExpand, the search hit) it
	// was reached from.
	Origin uint64
	// Depth is the number of hops from Origin (0 for a start point).
	Depth int
	// Path are the Depth edge ids walked from Origin to the point, in
	// order (nil at depth 0).
	Path []uint64
	// HasScore is true when Score holds a score: in SearchExpand, the
	// score of the hit Origin; in TraverseRanked, the point's own score
	// for the query (in the collection's metric).
	HasScore bool
	Score    float32
}

// Visits is the result of a traversal, held in library memory and read
// one visit at a time, in the traversal's order:
//
//	vs, err := c.Traverse([]uint64{7}, quiver.TraverseOptions{MaxDepth: 3})
//	if err != nil { ... }
//	defer vs.Close()
//	for vs.Next() {
//		v := vs.Visit()
//		fmt.Println(v.ID, v.Depth, v.Path)
//	}
//	if err := vs.Err(); err != nil { ... }
//
// Collect reads the rest into a slice instead. Each Visit is copied into
// Go memory, so it stays valid after Close. Close releases the library's
// memory (a finalizer does it too, late, for a Visits never closed). A
// Visits is for one goroutine.
type Visits struct {
	ptr *C.qv_traversal // nil once closed
	n   int
	pos int // index of the next visit
	cur Visit
	err error
}

func newVisits(ptr *C.qv_traversal) *Visits {
	v := &Visits{ptr: ptr, n: int(C.qv_traversal_count(ptr))}
	runtime.SetFinalizer(v, (*Visits).finalize)
	return v
}

// Len returns the number of visits of the traversal (read or not; 0 after
// Close).
func (v *Visits) Len() int {
	if v.ptr == nil {
		return 0
	}
	return v.n
}

// Next moves to the next visit. It returns false at the end, after Close,
// or on an error (see Err).
func (v *Visits) Next() bool {
	if v.ptr == nil || v.err != nil || v.pos >= v.n {
		v.cur = Visit{}
		return false
	}
	var cv C.qv_visit
	var cerr *C.qv_error
	if rc := C.qv_traversal_get(v.ptr, C.size_t(v.pos), &cv, &cerr); rc != C.QV_OK {
		v.err = takeError(rc, cerr)
		v.cur = Visit{}
		return false
	}
	v.pos++
	v.cur = Visit{
		ID:       uint64(cv.id),
		Origin:   uint64(cv.origin),
		Depth:    int(cv.depth),
		HasScore: cv.has_score != 0,
		Score:    float32(cv.score),
	}
	if cv.path_len > 0 {
		v.cur.Path = slices.Clone(unsafe.Slice((*uint64)(unsafe.Pointer(cv.path)), int(cv.path_len)))
	}
	return true
}

// Visit returns the visit Next moved to.
func (v *Visits) Visit() Visit { return v.cur }

// Err returns the error that ended the iteration, or nil.
func (v *Visits) Err() error { return v.err }

// Collect reads the visits Next has not returned yet into a slice and
// closes v.
func (v *Visits) Collect() ([]Visit, error) {
	defer v.Close()
	out := make([]Visit, 0, max(v.Len()-v.pos, 0))
	for v.Next() {
		out = append(out, v.cur)
	}
	return out, v.err
}

// Close releases the traversal; later calls to Next return false. Closing
// twice is a no-op.
func (v *Visits) Close() error {
	if v == nil {
		return nil
	}
	if v.ptr != nil {
		C.qv_traversal_free(v.ptr)
		v.ptr = nil
		runtime.SetFinalizer(v, nil)
	}
	return nil
}

func (v *Visits) finalize() {
	if v.ptr != nil {
		C.qv_traversal_free(v.ptr)
		v.ptr = nil
	}
}

// ---- traversals ---------------------------------------------------------------------

// Traverse walks the edges from starts (points of the collection) as opts
// says and returns the points reached, each once, in walk order, with
// their depth, the start they were reached from and the path of edges. A
// start given twice counts once. Close the Visits (or Collect them).
//
// Errors: ErrInvalidArgument (MaxDepth out of 1..1000, MinDepth above
// MaxDepth, Limit out of range, more HopLabels than MaxDepth, a bad
// label, order, direction or filter), ErrNotFound (a start is not a point
// of the collection; the message names starts[i]), ErrClosed,
// ErrOutOfMemory.
func (c *Collection) Traverse(starts []uint64, opts TraverseOptions) (*Visits, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	params := traverseParamsC(&opts)
	defer C.free(unsafe.Pointer(params))
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var out *C.qv_traversal
	var cerr *C.qv_error
	rc := C.qv_collection_traverse(ptr, idsPtr(starts), C.size_t(len(starts)), params, &out, &cerr)
	runtime.KeepAlive(starts)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return newVisits(out), nil
}

// SearchExpand searches query (of the collection's dimension) with search
// (search.K hits; WithPayload is ignored) and walks the edges from the
// hits as traverse says: the hits themselves at depth 0 when
// traverse.IncludeStarts is set, and the points reached, each once, in
// walk order from the best hit. Every visit has HasScore set and the
// score of the hit it was reached from (its Origin).
//
// Errors: those of Search and Traverse (ErrInvalidArgument,
// ErrDimensionMismatch, ErrUnsupported for a metadata-only collection),
// ErrClosed, ErrIO, ErrOutOfMemory.
func (c *Collection) SearchExpand(query []float32, search SearchOptions, traverse TraverseOptions) (*Visits, error) {
	k, err := search.k()
	if err != nil {
		return nil, err
	}
	ef, err := search.ef()
	if err != nil {
		return nil, err
	}
	if err := traverse.check(); err != nil {
		return nil, err
	}
	params := traverseParamsC(&traverse)
	defer C.free(unsafe.Pointer(params))
	a := cArena{size: align8(unsafe.Sizeof(C.qv_search_params{})) + align8(uintptr(len(search.Filter)))}
	a.base = C.malloc(C.size_t(a.size))
	defer C.free(a.base)
	sp := (*C.qv_search_params)(a.take(unsafe.Sizeof(C.qv_search_params{})))
	C.qv_search_params_init(sp)
	sp.k = C.uint32_t(k)
	sp.ef = ef
	sp.exact = cbool(search.Exact)
	if search.Oversampling != 0 {
		sp.oversampling = C.float(search.Oversampling)
	}
	if search.NoRescore {
		sp.rescore = 0
	}
	sp.filter_json = a.bytes(search.Filter)
	sp.filter_len = C.uint64_t(len(search.Filter))
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var out *C.qv_traversal
	var cerr *C.qv_error
	rc := C.qv_collection_search_expand(ptr, floatsPtr(query), C.size_t(len(query)), sp, params, &out, &cerr)
	runtime.KeepAlive(query)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return newVisits(out), nil
}

// ExpandHits walks from the hits of any search (Search, TextSearch,
// SparseSearch, HybridSearch, ...; best first) as opts says, as
// SearchExpand walks from its own: the hits (depth 0, with
// opts.IncludeStarts) and the points reached, each once, in walk order
// from the first hit, each with HasScore set and the score of the hit it
// was reached from. Hits that are no longer points (deleted since the
// search) are skipped.
//
// Errors: those of Traverse (but a hit that is not a point is no error),
// ErrInvalidArgument (a score that is NaN).
func (c *Collection) ExpandHits(hits []Hit, opts TraverseOptions) (*Visits, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	ids := make([]uint64, len(hits))
	scores := make([]float32, len(hits))
	for i, h := range hits {
		ids[i], scores[i] = h.ID, h.Score
	}
	params := traverseParamsC(&opts)
	defer C.free(unsafe.Pointer(params))
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var out *C.qv_traversal
	var cerr *C.qv_error
	rc := C.qv_collection_expand_hits(ptr, idsPtr(ids), floatsPtr(scores), C.size_t(len(hits)), params, &out, &cerr)
	runtime.KeepAlive(ids)
	runtime.KeepAlive(scores)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return newVisits(out), nil
}

// TraverseRanked walks from starts as Traverse does and returns the k
// points of the walk most similar to query (of the collection's
// dimension), best first (equal scores by ascending id), each with
// HasScore set and its score in the collection's metric (as Search
// scores). k is 1 to 100000; 0 = the default 10. opts.Limit still caps
// the walk the points are ranked from.
//
// Errors: those of Traverse, ErrInvalidArgument (k out of range, a query
// value that is not finite), ErrUnsupported (a metadata-only collection),
// ErrDimensionMismatch.
func (c *Collection) TraverseRanked(starts []uint64, opts TraverseOptions, query []float32, k int) (*Visits, error) {
	if k == 0 {
		k = defaultK
	}
	if k < 0 || uint64(k) > math.MaxUint32 {
		return nil, errorf(CodeInvalidArgument, "k is %d", k)
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	params := traverseParamsC(&opts)
	defer C.free(unsafe.Pointer(params))
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var out *C.qv_traversal
	var cerr *C.qv_error
	rc := C.qv_collection_traverse_ranked(ptr, idsPtr(starts), C.size_t(len(starts)), params,
		floatsPtr(query), C.size_t(len(query)), C.uint32_t(k), &out, &cerr)
	runtime.KeepAlive(starts)
	runtime.KeepAlive(query)
	if rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	return newVisits(out), nil
}

// ---- shortest paths -----------------------------------------------------------------

// PathOptions are what ShortestPath may follow. The zero value is the
// library's default: fewest hops along edges leaving each point, any
// label, no hop bound.
type PathOptions struct {
	// Direction is DirectionOut (the default, also 0), DirectionIn or
	// DirectionBoth.
	Direction Direction
	// Weighted finds the path of least total edge weight (Dijkstra)
	// instead of the fewest hops.
	Weighted bool
	// MaxDepth is the most hops of an unweighted path; 0 = no bound. Must
	// be 0 when Weighted is set.
	MaxDepth int
	// Labels are the labels the path may follow; nil or empty = any.
	Labels []string
}

// Path is a path between two points.
type Path struct {
	// Points are the points from the first to the last (one when from is
	// to).
	Points []uint64
	// Edges are the len(Points)-1 edge ids between them (nil when none).
	Edges []uint64
	// Cost is the number of hops, or (Weighted) the sum of the edges'
	// weights, added in float64 from the first edge.
	Cost float64
}

// ShortestPath returns the shortest path from from to to (both points of
// the collection) as opts says, or nil (and no error) when to cannot be
// reached. It searches from both ends at once. Among paths of equal
// cost, which one is returned depends on the edges only. Errors:
// ErrInvalidArgument (a bad label or direction, MaxDepth with Weighted),
// ErrNotFound (from or to is not a point of the collection), ErrClosed,
// ErrOutOfMemory.
func (c *Collection) ShortestPath(from, to uint64, opts PathOptions) (*Path, error) {
	if opts.MaxDepth < 0 || uint64(opts.MaxDepth) > math.MaxUint32 {
		return nil, errorf(CodeInvalidArgument, "PathOptions.MaxDepth is %d", opts.MaxDepth)
	}
	size := align8(unsafe.Sizeof(C.qv_path_params{})) + labelsSize(opts.Labels)
	a := cArena{size: size}
	a.base = C.malloc(C.size_t(a.size))
	defer C.free(a.base)
	p := (*C.qv_path_params)(a.take(unsafe.Sizeof(C.qv_path_params{})))
	C.qv_path_params_init(p)
	p.direction = C.uint32_t(opts.Direction)
	p.weighted = cbool(opts.Weighted)
	p.max_depth = C.uint32_t(opts.MaxDepth)
	p.labels = a.labels(opts.Labels)
	p.nlabels = C.uint64_t(len(opts.Labels))
	ptr, err := c.acquire()
	if err != nil {
		return nil, err
	}
	defer c.release()
	var out *C.qv_path
	var cerr *C.qv_error
	if rc := C.qv_collection_shortest_path(ptr, C.uint64_t(from), C.uint64_t(to), p, &out, &cerr); rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	if out == nil {
		return nil, nil
	}
	defer C.qv_path_free(out)
	var v C.qv_path_view
	if rc := C.qv_path_get_view(out, &v, &cerr); rc != C.QV_OK {
		return nil, takeError(rc, cerr)
	}
	path := &Path{Cost: float64(v.cost)}
	if n := int(v.npoints); n > 0 {
		path.Points = slices.Clone(unsafe.Slice((*uint64)(unsafe.Pointer(v.points)), n))
		if n > 1 && v.edges != nil {
			path.Edges = slices.Clone(unsafe.Slice((*uint64)(unsafe.Pointer(v.edges)), n-1))
		}
	}
	return path, nil
}
