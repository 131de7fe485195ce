package quiver

/*
#include <quiver.h>

// qv_scroll_params holds pointers (filter, order_by, cursor): it is filled
// here, in C memory, so that no Go memory holding Go pointers is passed to
// C; the status, error and points come back by value.
typedef struct {
	int32_t rc;
	qv_error *err;
	qv_points *points;
} qvgo_scroll_status;

static qvgo_scroll_status qvgo_scroll_points(const qv_collection *c, uint32_t limit,
                                             uint32_t with_vectors, uint32_t with_payload,
                                             uint32_t descending,
                                             const uint8_t *filter, size_t filter_len,
                                             const uint8_t *order_by, size_t order_by_len,
                                             const uint8_t *cursor, size_t cursor_len) {
	qv_scroll_params p;
	qv_scroll_params_init(&p);
	if (limit != 0) p.limit = limit;
	p.with_vectors = with_vectors;
	p.with_payload = with_payload;
	p.descending = descending;
	p.filter_json = filter;
	p.filter_len = filter_len;
	p.order_by = order_by;
	p.order_by_len = order_by_len;
	p.cursor = cursor;
	p.cursor_len = cursor_len;
	qvgo_scroll_status s = {0, NULL, NULL};
	s.rc = qv_collection_scroll_points(c, &p, &s.points, &s.err);
	return s;
}
*/
import "C"

import (
	"encoding/json"
	"runtime"
)

// ScrollOptions select, order and page the points of ScrollPoints. The
// zero value reads the first page of the library's default size (100) of
// all points by ascending id, without vectors or payloads.
type ScrollOptions struct {
	// Filter is an optional payload filter, JSON text as for
	// SearchOptions.Filter ("" = all points).
	Filter string
	// Limit is the number of points per page, >= 1; 0 = the default (100).
	Limit int
	// OrderBy is a payload field with an Integer, Float or Datetime index
	// to order the points by ("" = by ascending id). A point comes by its
	// smallest value (its largest when Descending); ties by ascending id;
	// points without a value of the index's kind are left out.
	OrderBy string
	// Descending orders by the largest values first (with OrderBy).
	Descending bool
	// WithVectors returns the points' vectors.
	WithVectors bool
	// WithPayload returns the points' payloads. (Unlike the C default, the
	// zero value leaves them out, as in SearchOptions.)
	WithPayload bool
	// Cursor is where to go on: the Next of the previous page, read with
	// the same options otherwise; "" = the first page.
	Cursor string
}

// PointPage is one page of points from ScrollPoints.
type PointPage struct {
	// Points are the page's points, in the scroll's order. Payload is a
	// json.RawMessage (or nil), Vector nil unless WithVectors, Sparse
	// always nil (see Point.Sparse).
	Points []Point
	// Next is the cursor of the following page (ScrollOptions.Cursor), ""
	// when this page is the last.
	Next string
}

// ScrollPoints reads one page of the points matching opts.Filter, by
// ascending id or by the values of opts.OrderBy, starting at opts.Cursor.
// Each page is read at once, and a point that exists and keeps its sort
// value during a whole scroll is returned exactly once, whatever is
// written meanwhile. ScrollIter goes through all pages.
// Errors: ErrInvalidArgument (Limit out of range, bad filter, an OrderBy
// field without an Integer, Float or Datetime index, a cursor no scroll of
// this kind returned), ErrClosed, ErrOutOfMemory.
func (c *Collection) ScrollPoints(opts ScrollOptions) (PointPage, error) {
	if opts.Limit < 0 || uint64(opts.Limit) > 0xffffffff {
		return PointPage{}, errorf(CodeInvalidArgument, "ScrollOptions.Limit is %d", opts.Limit)
	}
	ptr, err := c.acquire()
	if err != nil {
		return PointPage{}, err
	}
	defer c.release()
	st := C.qvgo_scroll_points(ptr, C.uint32_t(opts.Limit),
		cbool(opts.WithVectors), cbool(opts.WithPayload), cbool(opts.Descending),
		stringPtr(opts.Filter), C.size_t(len(opts.Filter)),
		stringPtr(opts.OrderBy), C.size_t(len(opts.OrderBy)),
		stringPtr(opts.Cursor), C.size_t(len(opts.Cursor)))
	runtime.KeepAlive(opts.Filter)
	runtime.KeepAlive(opts.OrderBy)
	runtime.KeepAlive(opts.Cursor)
	if st.rc != C.QV_OK {
		return PointPage{}, takeError(st.rc, st.err)
	}
	defer C.qv_points_free(st.points)
	recs, err := readPoints(st.points, opts.WithVectors)
	if err != nil {
		return PointPage{}, err
	}
	var next *C.char
	var nextLen C.size_t
	var cerr *C.qv_error
	if rc := C.qv_points_next_cursor(st.points, &next, &nextLen, &cerr); rc != C.QV_OK {
		return PointPage{}, takeError(rc, cerr)
	}
	page := PointPage{Points: make([]Point, len(recs))}
	if next != nil {
		page.Next = C.GoStringN(next, C.int(nextLen))
	}
	for i, r := range recs {
		page.Points[i] = Point{ID: r.ID, Vector: r.Vector}
		if r.Payload != nil {
			page.Points[i].Payload = json.RawMessage(r.Payload)
		}
	}
	return page, nil
}

// ScrollIterator goes through the points of a scroll page by page, reading
// a page when the previous one is used up:
//
//	it := docs.ScrollIter(quiver.ScrollOptions{OrderBy: "year", WithPayload: true})
//	for it.Next() {
//		p := it.Point()
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// An iterator is for one goroutine.
type ScrollIterator struct {
	c    *Collection
	opts ScrollOptions
	page []Point
	pos  int // next index into page
	cur  Point
	done bool // no page after page
	err  error
}

// ScrollIter returns an iterator over all the points ScrollPoints would
// return page after page with opts (starting at opts.Cursor).
func (c *Collection) ScrollIter(opts ScrollOptions) *ScrollIterator {
	return &ScrollIterator{c: c, opts: opts}
}

// Next moves to the next point, reading the next page when needed. It
// returns false at the end or on an error (see Err).
func (it *ScrollIterator) Next() bool {
	for it.pos >= len(it.page) {
		if it.done || it.err != nil {
			it.cur = Point{}
			return false
		}
		p, err := it.c.ScrollPoints(it.opts)
		if err != nil {
			it.err = err
			it.cur = Point{}
			return false
		}
		it.page, it.pos = p.Points, 0
		it.opts.Cursor = p.Next
		it.done = p.Next == ""
	}
	it.cur = it.page[it.pos]
	it.pos++
	return true
}

// Point returns the point Next moved to.
func (it *ScrollIterator) Point() Point { return it.cur }

// Err returns the error that ended the iteration, or nil.
func (it *ScrollIterator) Err() error { return it.err }
