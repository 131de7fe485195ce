package quiver_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

const payloadN = 200

// model is what a Go loop expects the collection's payloads to be: one
// decoded JSON object per live point (nil = no payload).
type model map[uint64]map[string]any

// payloadCollection holds points 0..199 at pseudo-random vectors with
// payloads {"g": "g<i%4>", "n": i*37%101, "keep": 1, "tags": [{"name":
// "x<i%3>", "w": i%5}, ...], "words": [... i%5 strings]}, with an Integer
// index on n and a Keyword index on g; half of them are in a sealed
// segment. It returns the vectors and the model.
func payloadCollection(t *testing.T, db *quiver.DB, name string) (*quiver.Collection, [][]float32, model) {
	t.Helper()
	c := createCollection(t, db, name, quiver.CollectionConfig{Dimension: 4, Metric: quiver.Euclidean})
	vectors := randomVectors(11, payloadN, 4)
	m := model{}
	points := make([]quiver.Point, payloadN)
	for i := range points {
		tags := []any{map[string]any{"name": fmt.Sprintf("x%d", i%3), "w": i % 5}}
		if i%2 == 0 {
			tags = append(tags, map[string]any{"name": "y", "w": 9})
		}
		js, err := json.Marshal(map[string]any{
			"g": fmt.Sprintf("g%d", i%4), "n": i * 37 % 101, "keep": 1, "tags": tags,
			"words": []string{"a", "b", "c", "d", "e"}[:i%5],
		})
		if err != nil {
			t.Fatal(err)
		}
		points[i] = quiver.Point{ID: uint64(i), Vector: vectors[i], Payload: json.RawMessage(js)}
		m[uint64(i)] = decode(t, js)
	}
	if err := c.UpsertPoints(points[:payloadN/2]); err != nil {
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertPoints(points[payloadN/2:]); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateFieldIndex("n", quiver.Integer); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateFieldIndex("g", quiver.Keyword); err != nil {
		t.Fatal(err)
	}
	return c, vectors, m
}

func decode(t *testing.T, js []byte) map[string]any {
	t.Helper()
	if len(js) == 0 {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatalf("payload %s: %v", js, err)
	}
	return v
}

// checkModel reads every id of 0..payloadN+9 with Get and compares the
// payloads (decoded) with the model; ids not in the model must be missing.
func checkModel(t *testing.T, what string, c *quiver.Collection, m model) {
	t.Helper()
	recs, err := c.Get(seq(0, payloadN+10)...)
	if err != nil {
		t.Fatalf("%s: Get: %v", what, err)
	}
	for _, r := range recs {
		want, live := m[r.ID]
		if r.Found != live {
			t.Fatalf("%s: point %d found %v, want %v", what, r.ID, r.Found, live)
		}
		if got := decode(t, r.Payload); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: payload of %d is %s, want %v", what, r.ID, r.Payload, want)
		}
	}
	if n, err := c.CountWhere(""); err != nil || n != len(m) {
		t.Fatalf("%s: CountWhere(\"\") = %d, %v; want %d", what, n, err, len(m))
	}
}

// matching returns the ids of the model (ascending) whose payload pred accepts.
func (m model) matching(pred func(p map[string]any) bool) []uint64 {
	var ids []uint64
	for id, p := range m {
		if pred(p) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func num(p map[string]any, key string) (float64, bool) {
	v, ok := p[key].(float64)
	return v, ok
}

func TestPayloadOperations(t *testing.T) {
	db, _ := openDB(t, nil)
	c, _, m := payloadCollection(t, db, "p")
	checkModel(t, "initial", c, m)

	// CountWhere against the Go loop, indexed and not.
	for _, tc := range []struct {
		filter string
		pred   func(p map[string]any) bool
	}{
		{quiver.Eq("g", "g1").String(), func(p map[string]any) bool { return p["g"] == "g1" }},
		{quiver.Lt("n", 30).String(), func(p map[string]any) bool { n, ok := num(p, "n"); return ok && n < 30 }},
		{quiver.Eq("tags[].name", "x2").String(), func(p map[string]any) bool {
			for _, tag := range p["tags"].([]any) {
				if tag.(map[string]any)["name"] == "x2" {
					return true
				}
			}
			return false
		}},
		{quiver.ValuesCount("words", quiver.CountGte(2), quiver.CountLt(4)).String(), func(p map[string]any) bool {
			n := len(p["words"].([]any))
			return n >= 2 && n < 4
		}},
	} {
		want := len(m.matching(tc.pred))
		if n, err := c.CountWhere(tc.filter); err != nil || n != want || n == 0 {
			t.Errorf("CountWhere(%s) = %d, %v; want %d", tc.filter, n, err, want)
		}
	}

	// SetPayload by ids (999 does not exist), keys rewritten in sorted order.
	n, err := c.SetPayload(quiver.IDs(3, 4, 999), map[string]any{"x": true, "keep": 2})
	if err != nil || n != 2 {
		t.Fatalf("SetPayload(ids) = %d, %v; want 2", n, err)
	}
	for _, id := range []uint64{3, 4} {
		m[id]["x"], m[id]["keep"] = true, float64(2)
	}
	checkModel(t, "SetPayload(ids)", c, m)
	recs, _ := c.Get(3)
	if want, _ := json.Marshal(m[3]); string(recs[0].Payload) != string(want) {
		t.Errorf("payload of 3 after SetPayload: %s, want %s (sorted keys)", recs[0].Payload, want)
	}

	// SetPayload by filter, the payload as JSON text.
	n, err = c.SetPayload(quiver.Where(quiver.Eq("g", "g2").String()), []byte(`{"x": false}`))
	want := m.matching(func(p map[string]any) bool { return p["g"] == "g2" })
	if err != nil || n != len(want) {
		t.Fatalf("SetPayload(where) = %d, %v; want %d", n, err, len(want))
	}
	for _, id := range want {
		m[id]["x"] = false
	}
	checkModel(t, "SetPayload(where)", c, m)

	// DeletePayloadKeys by filter, a top-level key and a path into an array
	// of objects.
	hasX := func(p map[string]any) bool { _, ok := p["x"]; return ok }
	want = m.matching(hasX)
	n, err = c.DeletePayloadKeys(quiver.Where(quiver.Exists("x").String()), "keep", "tags[].name", "absent.key")
	if err != nil || n != len(want) || n != payloadN/4+2 {
		t.Fatalf("DeletePayloadKeys(where) = %d, %v; want %d", n, err, len(want))
	}
	for _, id := range want {
		delete(m[id], "keep")
		for _, tag := range m[id]["tags"].([]any) {
			delete(tag.(map[string]any), "name")
		}
	}
	checkModel(t, "DeletePayloadKeys(where)", c, m)

	// DeletePayloadKeys by ids.
	if n, err := c.DeletePayloadKeys(quiver.IDs(7, 8), "words", "g"); err != nil || n != 2 {
		t.Fatalf("DeletePayloadKeys(ids) = %d, %v; want 2", n, err)
	}
	for _, id := range []uint64{7, 8} {
		delete(m[id], "words")
		delete(m[id], "g")
	}
	checkModel(t, "DeletePayloadKeys(ids)", c, m)

	// OverwritePayload by ids: the text is kept byte for byte.
	const text = `{"n": 1000,  "g":"new"}`
	if n, err := c.OverwritePayload(quiver.IDs(3), json.RawMessage(text)); err != nil || n != 1 {
		t.Fatalf("OverwritePayload(ids) = %d, %v; want 1", n, err)
	}
	m[3] = decode(t, []byte(text))
	checkModel(t, "OverwritePayload(ids)", c, m)
	if recs, _ := c.Get(3); string(recs[0].Payload) != text {
		t.Errorf("payload of 3 after OverwritePayload: %s, want %s", recs[0].Payload, text)
	}
	if n, err := c.CountWhere(quiver.Gte("n", 1000).String()); err != nil || n != 1 {
		t.Errorf("the index on n after OverwritePayload: %d, %v", n, err)
	}

	// OverwritePayload by filter, a Go value.
	want = m.matching(func(p map[string]any) bool { return p["g"] == "g3" })
	n, err = c.OverwritePayload(quiver.Where(quiver.Eq("g", "g3").String()), map[string]any{"g": "g3", "n": 7})
	if err != nil || n != len(want) || n == 0 {
		t.Fatalf("OverwritePayload(where) = %d, %v; want %d", n, err, len(want))
	}
	for _, id := range want {
		m[id] = map[string]any{"g": "g3", "n": float64(7)}
	}
	checkModel(t, "OverwritePayload(where)", c, m)

	// ClearPayload by ids, then SetPayload on a point without a payload.
	if n, err := c.ClearPayload(quiver.IDs(4, 998)); err != nil || n != 1 {
		t.Fatalf("ClearPayload(ids) = %d, %v; want 1", n, err)
	}
	m[4] = nil
	checkModel(t, "ClearPayload(ids)", c, m)
	if recs, _ := c.Get(4); recs[0].Payload != nil || !recs[0].Found {
		t.Errorf("point 4 after ClearPayload: %+v", recs[0])
	}
	if n, err := c.SetPayload(quiver.IDs(4), map[string]any{"z": 1}); err != nil || n != 1 {
		t.Fatalf("SetPayload on a point without a payload = %d, %v; want 1", n, err)
	}
	m[4] = map[string]any{"z": float64(1)}
	checkModel(t, "SetPayload(no payload)", c, m)

	// ClearPayload by filter.
	low := func(p map[string]any) bool { n, ok := num(p, "n"); return ok && n < 10 }
	want = m.matching(low)
	if n, err := c.ClearPayload(quiver.Where(quiver.Lt("n", 10).String())); err != nil || n != len(want) || n == 0 {
		t.Fatalf("ClearPayload(where) = %d, %v; want %d", n, err, len(want))
	}
	for _, id := range want {
		m[id] = nil
	}
	checkModel(t, "ClearPayload(where)", c, m)

	// The zero Selection and IDs() select nothing.
	if n, err := c.SetPayload(quiver.Selection{}, map[string]any{"q": 1}); err != nil || n != 0 {
		t.Errorf("SetPayload(Selection{}) = %d, %v", n, err)
	}
	if n, err := c.ClearPayload(quiver.IDs()); err != nil || n != 0 {
		t.Errorf("ClearPayload(IDs()) = %d, %v", n, err)
	}
	checkModel(t, "empty selections", c, m)

	// DeleteWhere by filter, including has_id.
	want = m.matching(func(p map[string]any) bool { return p["g"] == "g1" })
	if n, err := c.DeleteWhere(quiver.Eq("g", "g1").String()); err != nil || n != len(want) || n == 0 {
		t.Fatalf("DeleteWhere = %d, %v; want %d", n, err, len(want))
	}
	for _, id := range want {
		delete(m, id)
	}
	checkModel(t, "DeleteWhere", c, m)
	if n, err := c.DeleteWhere(quiver.HasID(0, 1, 2, 999).String()); err != nil || n != 2 { // 1 is gone already
		t.Fatalf("DeleteWhere(has_id) = %d, %v; want 2", n, err)
	}
	delete(m, 0)
	delete(m, 2)
	checkModel(t, "DeleteWhere(has_id)", c, m)
	if n, err := c.Count(); err != nil || n != len(m) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(m))
	}
}

// scrollAll pages through a scroll with ScrollPoints, checking the page
// sizes and cursors, and returns the points.
func scrollAll(t *testing.T, c *quiver.Collection, opts quiver.ScrollOptions) []quiver.Point {
	t.Helper()
	var all []quiver.Point
	for pages := 0; ; pages++ {
		if pages > payloadN {
			t.Fatalf("scroll %+v does not end", opts)
		}
		p, err := c.ScrollPoints(opts)
		if err != nil {
			t.Fatalf("ScrollPoints(%+v): %v", opts, err)
		}
		if len(p.Points) > opts.Limit || (p.Next != "" && len(p.Points) != opts.Limit) {
			t.Fatalf("page %d of %+v: %d points (limit %d), next %q", pages, opts, len(p.Points), opts.Limit, p.Next)
		}
		all = append(all, p.Points...)
		if p.Next == "" {
			return all
		}
		opts.Cursor = p.Next
	}
}

func pointIDs(points []quiver.Point) []uint64 {
	ids := make([]uint64, len(points))
	for i, p := range points {
		ids[i] = p.ID
	}
	return ids
}

func TestScrollPoints(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vectors, m := payloadCollection(t, db, "s")
	// Some points lose their n (left out of an order by n), and ties on n.
	if _, err := c.DeletePayloadKeys(quiver.IDs(5, 6, 7), "n"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{5, 6, 7} {
		delete(m[id], "n")
	}
	if _, err := c.SetPayload(quiver.IDs(10, 20, 30), map[string]any{"n": 50}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{10, 20, 30} {
		m[id]["n"] = float64(50)
	}

	// By id with a filter, payloads and vectors, in pages of 7.
	g0 := quiver.Eq("g", "g0").String()
	got := scrollAll(t, c, quiver.ScrollOptions{Filter: g0, Limit: 7, WithPayload: true, WithVectors: true})
	want := m.matching(func(p map[string]any) bool { return p["g"] == "g0" })
	if !slices.Equal(pointIDs(got), want) {
		t.Fatalf("scroll by id where g0: %v, want %v", pointIDs(got), want)
	}
	for _, p := range got {
		raw, ok := p.Payload.(json.RawMessage)
		if !ok || !reflect.DeepEqual(decode(t, raw), m[p.ID]) || !slices.Equal(p.Vector, vectors[p.ID]) {
			t.Fatalf("point %d: payload %v (%T), vector %v", p.ID, p.Payload, p.Payload, p.Vector)
		}
	}
	// The page can be upserted as it is (into another collection).
	copyTo := createCollection(t, db, "copy", quiver.CollectionConfig{Dimension: 4, Metric: quiver.Euclidean})
	if err := copyTo.UpsertPoints(got); err != nil {
		t.Fatal(err)
	}
	if n, err := copyTo.CountWhere(g0); err != nil || n != len(want) {
		t.Errorf("copied points: %d, %v; want %d", n, err, len(want))
	}

	// Without payloads or vectors (the zero value), all points, default limit.
	page, err := c.ScrollPoints(quiver.ScrollOptions{})
	if err != nil || len(page.Points) != 100 || page.Next == "" {
		t.Fatalf("ScrollPoints(zero value): %d points, next %q, %v", len(page.Points), page.Next, err)
	}
	for i, p := range page.Points {
		if p.ID != uint64(i) || p.Payload != nil || p.Vector != nil {
			t.Fatalf("point %d of the zero-value scroll: %+v", i, p)
		}
	}

	// Ordered by the integer-indexed n, ascending and descending, across
	// pages: by n, ties by ascending id, points without n left out.
	withN := m.matching(func(p map[string]any) bool { _, ok := num(p, "n"); return ok })
	nOf := func(id uint64) float64 { n, _ := num(m[id], "n"); return n }
	asc := slices.Clone(withN)
	sort.SliceStable(asc, func(i, j int) bool { return nOf(asc[i]) < nOf(asc[j]) })
	desc := slices.Clone(withN)
	sort.SliceStable(desc, func(i, j int) bool { return nOf(desc[i]) > nOf(desc[j]) })
	for _, tc := range []struct {
		descending bool
		want       []uint64
	}{{false, asc}, {true, desc}} {
		opts := quiver.ScrollOptions{OrderBy: "n", Descending: tc.descending, Limit: 9}
		if got := pointIDs(scrollAll(t, c, opts)); !slices.Equal(got, tc.want) {
			t.Fatalf("scroll by n (descending %v):\n got %v\nwant %v", tc.descending, got, tc.want)
		}
		// The iterator gives the same points, with a page size that does not divide.
		opts.Limit = 13
		var it []uint64
		iter := c.ScrollIter(opts)
		for iter.Next() {
			it = append(it, iter.Point().ID)
		}
		if err := iter.Err(); err != nil || !slices.Equal(it, tc.want) {
			t.Fatalf("ScrollIter by n (descending %v): %v, %v", tc.descending, it, err)
		}
	}

	// Ordered with a filter.
	filter := quiver.And(quiver.Eq("g", "g2"), quiver.ValuesCount("words", quiver.CountGte(1))).String()
	wantF := slices.DeleteFunc(slices.Clone(desc), func(id uint64) bool {
		return m[id]["g"] != "g2" || len(m[id]["words"].([]any)) < 1
	})
	if got := pointIDs(scrollAll(t, c, quiver.ScrollOptions{Filter: filter, OrderBy: "n", Descending: true, Limit: 4})); !slices.Equal(got, wantF) || len(got) == 0 {
		t.Fatalf("scroll by n where %s: %v, want %v", filter, got, wantF)
	}

	// A scroll that matches nothing: one empty last page.
	if p, err := c.ScrollPoints(quiver.ScrollOptions{Filter: quiver.HasID().String()}); err != nil || len(p.Points) != 0 || p.Next != "" {
		t.Fatalf("empty scroll: %+v, %v", p, err)
	}
	iter := c.ScrollIter(quiver.ScrollOptions{Filter: quiver.HasID().String()})
	if iter.Next() || iter.Err() != nil {
		t.Fatalf("ScrollIter over nothing: %v", iter.Err())
	}
	// Starting from a cursor.
	first, err := c.ScrollPoints(quiver.ScrollOptions{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var rest []uint64
	for iter := c.ScrollIter(quiver.ScrollOptions{Limit: 50, Cursor: first.Next}); iter.Next(); {
		rest = append(rest, iter.Point().ID)
	}
	if !slices.Equal(rest, seq(50, payloadN-50)) {
		t.Fatalf("ScrollIter from a cursor: %v", rest)
	}
}

func TestExplain(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vectors, m := payloadCollection(t, db, "e")
	filter := quiver.Lt("n", 5).String()
	opts := quiver.SearchOptions{K: 5, Filter: filter}
	e, err := c.Explain(vectors[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := c.Search(vectors[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	matching := m.matching(func(p map[string]any) bool { n, ok := num(p, "n"); return ok && n < 5 })
	if !slices.Equal(hitIDs(e.Hits), hitIDs(hits)) || len(hits) != min(5, len(matching)) {
		t.Errorf("Explain hits %v, Search hits %v", e.Hits, hits)
	}
	for j := range hits {
		if e.Hits[j].Score != hits[j].Score {
			t.Errorf("hit %d: Explain score %v, Search score %v", j, e.Hits[j].Score, hits[j].Score)
		}
	}
	if len(e.Segments) < 2 || !strings.Contains(e.JSON, `"segments":[`) {
		t.Fatalf("Explain: %+v\n%s", e, e.JSON)
	}
	live := 0
	for _, s := range e.Segments {
		live += s.Live
		if s.Plan != "scan-candidates" || s.Sure == nil || s.Kind == "" || s.Cost <= 0 {
			t.Errorf("segment plan %+v (sure %v) with an indexed filter", s, s.Sure)
		}
	}
	if live != payloadN {
		t.Errorf("Explain: %d live points in the segments, want %d", live, payloadN)
	}
	// No filter: no index answered (sure is null).
	e, err = c.Explain(vectors[0], quiver.SearchOptions{K: 3})
	if err != nil || len(e.Hits) != 3 || e.Hits[0].ID != 0 {
		t.Fatalf("Explain without a filter: %+v, %v", e, err)
	}
	for _, s := range e.Segments {
		if s.Sure != nil || !strings.HasPrefix(s.Plan, "graph") && !strings.HasPrefix(s.Plan, "scan") {
			t.Errorf("segment plan without a filter: %+v", s)
		}
	}
	if _, err := c.Explain(vectors[0][:3], opts); err == nil {
		t.Error("Explain with a short query: no error")
	} else {
		mustCode(t, "Explain with a short query", err, quiver.ErrDimensionMismatch)
	}
}

func TestDatetimeIndex(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "d", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	// Instants an hour apart, written in different offsets, so the text
	// order is not the time order.
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600), time.FixedZone("", -7*3600+1800)}
	at := map[uint64]time.Time{}
	var points []quiver.Point
	for i := 0; i < 60; i++ {
		id := uint64(i)
		at[id] = base.Add(time.Duration((i*17)%60) * time.Hour)
		text := at[id].In(zones[i%3]).Format(time.RFC3339)
		points = append(points, quiver.Point{ID: id, Payload: map[string]any{"at": text}})
	}
	points = append(points, quiver.Point{ID: 60, Payload: map[string]any{"at": "not a date"}})
	if err := c.UpsertPoints(points); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateFieldIndex("at", quiver.Datetime); err != nil {
		t.Fatal(err)
	}
	list, err := c.FieldIndexes()
	if err != nil || len(list) != 1 || list[0].Kind != quiver.Datetime || list[0].Kind.String() != "datetime" {
		t.Fatalf("FieldIndexes: %+v, %v", list, err)
	}

	// A range filter, with time.Time bounds, against a Go loop.
	lo, hi := base.Add(10*time.Hour), base.Add(30*time.Hour)
	var want []uint64
	for id, ts := range at {
		if !ts.Before(lo) && !ts.After(hi) {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	for _, f := range []quiver.Filter{
		quiver.Between("at", lo, hi),
		quiver.And(quiver.Gte("at", lo.In(zones[1])), quiver.Lte("at", hi.Format(time.RFC3339))),
	} {
		if n, err := c.CountWhere(f.String()); err != nil || n != len(want) {
			t.Errorf("CountWhere(%s) = %d, %v; want %d", f, n, err, len(want))
		}
		if got := pointIDs(scrollAll(t, c, quiver.ScrollOptions{Filter: f.String(), Limit: 6})); !slices.Equal(got, want) {
			t.Errorf("scroll where %s: %v, want %v", f, got, want)
		}
	}

	// Ordered by instant (point 60 has no datetime: left out).
	byTime := seq(0, 60)
	sort.Slice(byTime, func(i, j int) bool { return at[byTime[i]].Before(at[byTime[j]]) })
	if got := pointIDs(scrollAll(t, c, quiver.ScrollOptions{OrderBy: "at", Limit: 8})); !slices.Equal(got, byTime) {
		t.Errorf("scroll by at:\n got %v\nwant %v", got, byTime)
	}
	slices.Reverse(byTime)
	if got := pointIDs(scrollAll(t, c, quiver.ScrollOptions{OrderBy: "at", Descending: true, Limit: 8})); !slices.Equal(got, byTime) {
		t.Errorf("scroll by at, descending:\n got %v\nwant %v", got, byTime)
	}
}

// TestPayloadErrors: malformed arguments fail with ErrInvalidArgument and
// change nothing.
func TestPayloadErrors(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vectors, m := payloadCollection(t, db, "x")
	before, err := c.Get(seq(0, payloadN)...)
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.ScrollPoints(quiver.ScrollOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	badFilter := `{"field": "g", "eqq": 1}`
	cases := []struct {
		name    string
		call    func() error
		message string // in the error, when not ""
	}{
		{"SetPayload with an array", func() error {
			_, err := c.SetPayload(quiver.IDs(1, 2), []byte(`[1]`))
			return err
		}, "must be a JSON object"},
		{"SetPayload with nil", func() error { _, err := c.SetPayload(quiver.IDs(1), nil); return err }, "no payload"},
		{"OverwritePayload with empty text", func() error {
			_, err := c.OverwritePayload(quiver.IDs(1), []byte{})
			return err
		}, "no payload"},
		{"SetPayload with bad JSON", func() error { _, err := c.SetPayload(quiver.IDs(1), []byte(`{"a":`)); return err }, ""},
		{"SetPayload with a channel", func() error {
			_, err := c.SetPayload(quiver.IDs(1), map[string]any{"c": make(chan int)})
			return err
		}, "SetPayload"},
		{"OverwritePayload with a string", func() error {
			_, err := c.OverwritePayload(quiver.Where(quiver.Eq("g", "g0").String()), "text")
			return err
		}, ""},
		{"DeletePayloadKeys with a bad path", func() error {
			_, err := c.DeletePayloadKeys(quiver.IDs(1), "g", "a..b")
			return err
		}, "keys[1]"},
		{"SetPayload with a bad filter", func() error {
			_, err := c.SetPayload(quiver.Where(badFilter), map[string]any{"a": 1})
			return err
		}, `unknown operator "eqq"`},
		{"ClearPayload with an empty filter", func() error { _, err := c.ClearPayload(quiver.Where("")); return err }, "empty filter"},
		{"ClearPayload with a bad filter", func() error { _, err := c.ClearPayload(quiver.Where(badFilter)); return err }, "eqq"},
		{"ClearPayload with an invalid builder filter", func() error {
			_, err := c.ClearPayload(quiver.Where(quiver.ValuesCount("words", quiver.CountGte(-1)).String()))
			return err
		}, "negative"},
		{"DeleteWhere without a filter", func() error { _, err := c.DeleteWhere(""); return err }, ""},
		{"DeleteWhere with a bad filter", func() error { _, err := c.DeleteWhere(badFilter); return err }, "eqq"},
		{"CountWhere with a bad filter", func() error { _, err := c.CountWhere(badFilter); return err }, "eqq"},
		{"ScrollPoints by a keyword-indexed field", func() error {
			_, err := c.ScrollPoints(quiver.ScrollOptions{OrderBy: "g"})
			return err
		}, "no integer, float or datetime index"},
		{"ScrollPoints by an unindexed field", func() error {
			_, err := c.ScrollPoints(quiver.ScrollOptions{OrderBy: "keep"})
			return err
		}, "no integer, float or datetime index"},
		{"ScrollPoints with a bad cursor", func() error {
			_, err := c.ScrollPoints(quiver.ScrollOptions{Cursor: "bogus"})
			return err
		}, `cursor "bogus"`},
		{"ScrollPoints by n with an id cursor", func() error {
			_, err := c.ScrollPoints(quiver.ScrollOptions{OrderBy: "n", Limit: 10, Cursor: page.Next})
			return err
		}, "cursor"},
		{"ScrollPoints with a negative limit", func() error {
			_, err := c.ScrollPoints(quiver.ScrollOptions{Limit: -1})
			return err
		}, "Limit"},
		{"ScrollPoints with a bad filter", func() error {
			_, err := c.ScrollPoints(quiver.ScrollOptions{Filter: badFilter})
			return err
		}, "eqq"},
		{"ScrollIter with a bad cursor", func() error {
			it := c.ScrollIter(quiver.ScrollOptions{Cursor: "bogus"})
			if it.Next() {
				return fmt.Errorf("Next is true")
			}
			return it.Err()
		}, "bogus"},
		{"Explain with a bad filter", func() error {
			_, err := c.Explain(vectors[0], quiver.SearchOptions{Filter: badFilter})
			return err
		}, "eqq"},
	}
	for _, tc := range cases {
		qe := mustCode(t, tc.name, tc.call(), quiver.ErrInvalidArgument)
		t.Logf("%s: %s", tc.name, qe.Message)
		if !strings.Contains(qe.Message, tc.message) {
			t.Errorf("%s: message %q does not say %q", tc.name, qe.Message, tc.message)
		}
	}
	after, err := c.Get(seq(0, payloadN)...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("a failed call changed the points")
	}
	checkModel(t, "after the errors", c, m)
}
