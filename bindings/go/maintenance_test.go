package quiver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

const maintDim = 8

// maintCollection holds points 0..199 at pseudo-random vectors with payloads
// {"n": id}; ids 0..9 are deleted and 10..19 overwritten (new vectors, same
// payloads). It returns the live vectors by id.
func maintCollection(t *testing.T, db *quiver.DB, name string) (*quiver.Collection, map[uint64][]float32) {
	t.Helper()
	c := createCollection(t, db, name, quiver.CollectionConfig{Dimension: maintDim, Metric: quiver.Euclidean})
	ids := seq(0, 200)
	vectors := randomVectors(7, 200, maintDim)
	payloads := make([][]byte, len(ids))
	for i, id := range ids {
		payloads[i] = []byte(fmt.Sprintf(`{"n":%d}`, id))
	}
	if err := c.Upsert(ids, vectors, payloads); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Delete(seq(0, 10)...); err != nil || n != 10 {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	replaced := randomVectors(8, 10, maintDim)
	if err := c.Upsert(seq(10, 10), replaced, payloads[10:20]); err != nil {
		t.Fatal(err)
	}
	live := map[uint64][]float32{}
	for i := 10; i < 200; i++ {
		live[uint64(i)] = vectors[i]
	}
	for i := range replaced {
		live[uint64(10+i)] = replaced[i]
	}
	return c, live
}

// checkPoints checks count, Get and searches (graph, exact, filtered)
// against the live vectors.
func checkPoints(t *testing.T, what string, c *quiver.Collection, live map[uint64][]float32) {
	t.Helper()
	if n, err := c.Count(); err != nil || n != len(live) {
		t.Fatalf("%s: Count = %d, %v; want %d", what, n, err, len(live))
	}
	recs, err := c.Get(0, 9, 10, 15, 199)
	if err != nil {
		t.Fatalf("%s: Get: %v", what, err)
	}
	if recs[0].Found || recs[1].Found {
		t.Errorf("%s: deleted points 0, 9 found", what)
	}
	for _, r := range recs[2:] {
		if !r.Found || !slices.Equal(r.Vector, live[r.ID]) || string(r.Payload) != fmt.Sprintf(`{"n":%d}`, r.ID) {
			t.Errorf("%s: Get(%d) = %+v (payload %s)", what, r.ID, r, r.Payload)
		}
	}
	for _, id := range []uint64{10, 19, 20, 123, 199} {
		for _, exact := range []bool{false, true} {
			hits, err := c.Search(live[id], quiver.SearchOptions{K: 3, Exact: exact, WithPayload: true})
			if err != nil {
				t.Fatalf("%s: Search: %v", what, err)
			}
			if len(hits) != 3 || hits[0].ID != id || hits[0].Score != 0 || string(hits[0].Payload) != fmt.Sprintf(`{"n":%d}`, id) {
				t.Errorf("%s: Search(vector of %d, exact %v) = %+v", what, id, exact, hits)
			}
		}
	}
	ids, err := c.ScrollAll(`{"field": "n", "lt": 25}`)
	if err != nil || !slices.Equal(ids, seq(10, 15)) {
		t.Errorf("%s: ScrollAll(n < 25) = %v, %v", what, ids, err)
	}
	hits, err := c.Search(live[12], quiver.SearchOptions{K: 50, Filter: `{"field": "n", "lt": 25}`})
	if err != nil || len(hits) != 15 || hits[0].ID != 12 {
		t.Errorf("%s: filtered Search = %v, %v", what, hitIDs(hits), err)
	}
}

// Optimize, WaitOptimized and Verify keep every point, payload, deletion and
// overwrite, also across a reopen.
func TestOptimizeWaitVerify(t *testing.T) {
	dir := t.TempDir()
	db, err := quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	c, live := maintCollection(t, db, "m")
	checkPoints(t, "before Optimize", c, live)
	if err := c.Verify(); err != nil {
		t.Fatalf("Verify before Optimize: %v", err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatalf("Optimize: %v", err)
	}
	if err := c.WaitOptimized(); err != nil {
		t.Fatalf("WaitOptimized: %v", err)
	}
	checkPoints(t, "after Optimize", c, live)
	if err := c.Verify(); err != nil {
		t.Fatalf("Verify after Optimize: %v", err)
	}
	// Optimizing an optimized collection, and writes after it.
	if err := c.Optimize(); err != nil {
		t.Fatalf("second Optimize: %v", err)
	}
	if err := c.Upsert([]uint64{500}, [][]float32{{1, 2, 3, 4, 5, 6, 7, 8}}, [][]byte{[]byte(`{"n":500}`)}); err != nil {
		t.Fatal(err)
	}
	live[500] = []float32{1, 2, 3, 4, 5, 6, 7, 8}
	checkPoints(t, "after a write", c, live)

	c.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = quiver.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err = db.OpenCollection("m")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Verify(); err != nil {
		t.Fatalf("Verify after reopen: %v", err)
	}
	checkPoints(t, "after reopen", c, live)
}

// The document of Stats.JSON.
type statsDoc struct {
	LivePoints    uint64 `json:"live_points"`
	DeletedPoints uint64 `json:"deleted_points"`
	DiskBytes     uint64 `json:"disk_bytes"`
	RAMBytes      uint64 `json:"ram_bytes"`
	Segments      []struct {
		ID        uint64 `json:"id"`
		Kind      string `json:"kind"`
		Points    uint64 `json:"points"`
		Deleted   uint64 `json:"deleted"`
		DiskBytes uint64 `json:"disk_bytes"`
		RAMBytes  uint64 `json:"ram_bytes"`
	} `json:"segments"`
	Components []struct {
		Name      string `json:"name"`
		DiskBytes uint64 `json:"disk_bytes"`
		RAMBytes  uint64 `json:"ram_bytes"`
	} `json:"components"`
	Optimizer struct {
		State         string  `json:"state"`
		CompletedRuns uint64  `json:"completed_runs"`
		LastError     *string `json:"last_error"`
	} `json:"optimizer"`
	RebuiltOnOpen []string `json:"rebuilt_on_open"`
	ReadOnlyCause *string  `json:"read_only_cause"`
}

// checkStats checks that the stats of c agree with Count, with themselves
// and with their JSON document, and returns them.
func checkStats(t *testing.T, what string, c *quiver.Collection) quiver.Stats {
	t.Helper()
	s, err := c.Stats()
	if err != nil {
		t.Fatalf("%s: Stats: %v", what, err)
	}
	n, err := c.Count()
	if err != nil {
		t.Fatal(err)
	}
	if s.LivePoints != uint64(n) {
		t.Errorf("%s: LivePoints %d, Count %d", what, s.LivePoints, n)
	}
	var sum uint64
	for _, seg := range s.Segments {
		sum += seg.Points
		if seg.Kind != quiver.SegmentAppendable && seg.Kind != quiver.SegmentSealed {
			t.Errorf("%s: segment %d has kind %v", what, seg.ID, seg.Kind)
		}
	}
	if sum != s.LivePoints {
		t.Errorf("%s: the segments hold %d points, LivePoints %d: %+v", what, sum, s.LivePoints, s.Segments)
	}
	switch s.OptimizerState {
	case quiver.OptimizerIdle, quiver.OptimizerPending, quiver.OptimizerRunning:
	default:
		t.Errorf("%s: optimizer state %v", what, s.OptimizerState)
	}
	if s.ReadOnlyCause != nil || s.OptimizerError != nil {
		t.Errorf("%s: a healthy collection reports read-only cause %v, optimizer error %v", what, s.ReadOnlyCause, s.OptimizerError)
	}
	for _, comp := range s.Components {
		if comp.Name == "" {
			t.Errorf("%s: a component without a name: %+v", what, s.Components)
		}
	}

	// The JSON document says the same.
	var doc statsDoc
	if err := json.Unmarshal([]byte(s.JSON), &doc); err != nil {
		t.Fatalf("%s: Stats.JSON does not parse: %v\n%s", what, err, s.JSON)
	}
	if doc.LivePoints != s.LivePoints || doc.DeletedPoints != s.DeletedPoints || doc.DiskBytes != s.DiskBytes ||
		doc.RAMBytes != s.RAMBytes || doc.Optimizer.State != s.OptimizerState.String() ||
		doc.Optimizer.CompletedRuns != s.OptimizerRuns || (doc.Optimizer.LastError == nil) != (s.OptimizerError == nil) ||
		(doc.ReadOnlyCause == nil) != (s.ReadOnlyCause == nil) || len(doc.Segments) != len(s.Segments) ||
		len(doc.Components) != len(s.Components) || !slices.Equal(doc.RebuiltOnOpen, s.RebuiltOnOpen) {
		t.Fatalf("%s: Stats %+v differ from their JSON %s", what, s, s.JSON)
	}
	for i, seg := range s.Segments {
		d := doc.Segments[i]
		if d.ID != seg.ID || d.Kind != seg.Kind.String() || d.Points != seg.Points || d.Deleted != seg.Deleted ||
			d.DiskBytes != seg.DiskBytes || d.RAMBytes != seg.RAMBytes {
			t.Errorf("%s: segment %d: %+v, JSON %+v", what, i, seg, d)
		}
	}
	for i, comp := range s.Components {
		d := doc.Components[i]
		if d.Name != comp.Name || d.DiskBytes != comp.DiskBytes || d.RAMBytes != comp.RAMBytes {
			t.Errorf("%s: component %d: %+v, JSON %+v", what, i, comp, d)
		}
	}
	return s
}

func TestStats(t *testing.T) {
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	empty := createCollection(t, db, "empty", quiver.CollectionConfig{Dimension: maintDim})
	if s := checkStats(t, "empty", empty); s.LivePoints != 0 {
		t.Errorf("empty collection: %+v", s)
	}

	c, live := maintCollection(t, db, "m")
	s := checkStats(t, "after writes", c)
	if s.LivePoints != uint64(len(live)) {
		t.Errorf("LivePoints = %d, want %d", s.LivePoints, len(live))
	}
	if s.RebuiltOnOpen == nil || s.Segments == nil || s.Components == nil {
		t.Errorf("nil slices in %+v", s) // empty, not nil: ranges and JSON agree
	}

	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitOptimized(); err != nil {
		t.Fatal(err)
	}
	s = checkStats(t, "after Optimize", c)
	if len(s.Segments) == 0 {
		t.Fatalf("after Optimize: no segments: %+v", s)
	}

	// Optimize sealed the appendable segment, merged and vacuumed: the
	// points are all in sealed segments, none deleted is left.
	t.Run("SealedAfterOptimize", func(t *testing.T) {
		var sealed, appendable uint64
		nSealed := 0
		for _, seg := range s.Segments {
			if seg.Kind == quiver.SegmentSealed {
				sealed += seg.Points
				nSealed++
			} else {
				appendable += seg.Points
			}
		}
		if nSealed == 0 || sealed != s.LivePoints || appendable != 0 {
			t.Errorf("after Optimize: %d sealed segments hold %d points, appendable ones %d, of %d: %s",
				nSealed, sealed, appendable, s.LivePoints, s.JSON)
		}
		if s.DeletedPoints != 0 {
			t.Errorf("after Optimize: %d deleted points left: %s", s.DeletedPoints, s.JSON)
		}
	})
}

// Optimize runs while other goroutines search, read and count.
func TestOptimizeWhileSearching(t *testing.T) {
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	c, live := maintCollection(t, db, "m")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			id := uint64(20 + g)
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				hits, err := c.Search(live[id], quiver.SearchOptions{K: 5, Exact: g%2 == 0})
				if err == nil && (len(hits) != 5 || hits[0].ID != id) {
					err = fmt.Errorf("search for %d: %v", id, hitIDs(hits))
				}
				if err == nil {
					_, err = c.Stats()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	for i := 0; i < 3; i++ {
		if err := c.Optimize(); err != nil {
			t.Error(err)
		}
	}
	if err := c.WaitOptimized(); err != nil {
		t.Error(err)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkPoints(t, "after concurrent Optimize", c, live)
}

// Payloads come back byte for byte as written (whitespace, key order,
// number spelling, escapes), from Get and from every search form, before
// and after Optimize and a reopen.
func TestPayloadBytesExact(t *testing.T) {
	dir := t.TempDir()
	db, err := quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	payloads := [][]byte{
		[]byte(`{ "z": 1,  "a": [1.0, 2e3, -0.50],` + "\n\t" + `"m": {"y": null, "b": true} }`),
		[]byte(`{"b":"caf\u00e9 é \ud83d\ude00","a":"\"quoted\"\\"}`),
		nil,
		[]byte(`{}`),
	}
	c, err := db.CreateCollection("raw", quiver.CollectionConfig{Dimension: 2, Metric: quiver.Euclidean})
	if err != nil {
		t.Fatal(err)
	}
	ids := []uint64{1, 2, 3, 4}
	vectors := [][]float32{{1, 0}, {2, 0}, {3, 0}, {4, 0}}
	if err := c.Upsert(ids, vectors, payloads); err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertPoints([]quiver.Point{{ID: 5, Vector: []float32{5, 0}, Payload: json.RawMessage(`{"k" : [ ]}`)}}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, 5)
	payloads = append(payloads, []byte(`{"k" : [ ]}`))
	check := func(what string, c *quiver.Collection) {
		t.Helper()
		recs, err := c.Get(ids...)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			if !bytes.Equal(r.Payload, payloads[i]) {
				t.Errorf("%s: Get(%d) payload %q, wrote %q", what, r.ID, r.Payload, payloads[i])
			}
		}
		byID := map[uint64][]byte{}
		for i, id := range ids {
			byID[id] = payloads[i]
		}
		hits, err := c.Search([]float32{0, 0}, quiver.SearchOptions{K: 10, WithPayload: true, Exact: true})
		if err != nil || len(hits) != len(ids) {
			t.Fatalf("%s: Search: %v, %v", what, hits, err)
		}
		for _, h := range hits {
			if !bytes.Equal(h.Payload, byID[h.ID]) {
				t.Errorf("%s: Search hit %d payload %q, wrote %q", what, h.ID, h.Payload, byID[h.ID])
			}
		}
		res, err := c.SearchBatch([][]float32{{0, 0}, {5, 0}}, quiver.SearchOptions{K: 10, WithPayload: true})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		for q := 0; q < res.Len(); q++ {
			for j, h := range res.Hits(q) {
				if p := res.Payload(q, j); !bytes.Equal(p, byID[h.ID]) {
					t.Errorf("%s: SearchBatch query %d hit %d payload %q, wrote %q", what, q, h.ID, p, byID[h.ID])
				}
			}
		}
	}
	check("as written", c)
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	check("after Optimize", c)
	c.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = quiver.Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	if c, err = db.OpenCollection("raw"); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check("after reopen", c)
}
