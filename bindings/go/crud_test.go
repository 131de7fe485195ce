package quiver_test

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

func TestVersion(t *testing.T) {
	if v := quiver.Version(); v != quiver.HeaderVersion {
		t.Errorf("Version() = %q, header says %q", v, quiver.HeaderVersion)
	}
	if v := quiver.ABIVersion(); v != quiver.HeaderABIVersion || v == 0 {
		t.Errorf("ABIVersion() = %d, header says %d", v, quiver.HeaderABIVersion)
	}
}

// The whole flow on a tiny collection: create, upsert with payloads, count,
// get, search with and without filter and payloads, scroll, delete,
// checkpoint, reopen.
func TestCRUDSearchFilterFlow(t *testing.T) {
	db, dir := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	docs := createCollection(t, db, "docs", quiver.CollectionConfig{
		Dimension: 3, Metric: quiver.Euclidean, M: 8, EfConstruction: 50, EfSearch: 20,
	})
	if docs.Name() != "docs" {
		t.Errorf("Name() = %q", docs.Name())
	}
	cfg, err := docs.Config()
	if err != nil {
		t.Fatal(err)
	}
	// (The defaults read back filled in: vector kind, f32 storage, 256 PQ
	// centroids, automatic PQ subspaces.)
	want := quiver.CollectionConfig{Kind: quiver.KindVector, Dimension: 3, Metric: quiver.Euclidean, M: 8, EfConstruction: 50, EfSearch: 20,
		PQCentroids: 256}
	if cfg != want {
		t.Errorf("Config() = %+v, want %+v", cfg, want)
	}

	// Points i = 1..10 at (i, 0, 0); even ids are "fr", odd "en".
	ids := seq(1, 10)
	vectors := make([][]float32, len(ids))
	payloads := make([][]byte, len(ids))
	for i, id := range ids {
		vectors[i] = []float32{float32(id), 0, 0}
		lang := "en"
		if id%2 == 0 {
			lang = "fr"
		}
		payloads[i], _ = json.Marshal(map[string]any{"lang": lang, "n": id})
	}
	payloads[9] = nil // id 10: no payload
	if err := docs.Upsert(ids, vectors, payloads); err != nil {
		t.Fatal(err)
	}
	if n, err := docs.Count(); err != nil || n != 10 {
		t.Fatalf("Count() = %d, %v; want 10", n, err)
	}

	// Get: found, vector, payload; a missing id.
	recs, err := docs.Get(3, 10, 99)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !recs[0].Found || !recs[1].Found || recs[2].Found {
		t.Fatalf("Get: %+v", recs)
	}
	if recs[0].ID != 3 || !slices.Equal(recs[0].Vector, []float32{3, 0, 0}) || string(recs[0].Payload) != `{"lang":"en","n":3}` {
		t.Errorf("Get(3) = %+v (payload %s)", recs[0], recs[0].Payload)
	}
	if recs[1].Payload != nil || recs[2].ID != 99 || recs[2].Vector != nil {
		t.Errorf("Get(10, 99) = %+v", recs[1:])
	}

	// Search: the nearest to (4.2, 0, 0) are 4, 5, 3, 6 (L2 distance, lower first).
	hits, err := docs.Search([]float32{4.2, 0, 0}, quiver.SearchOptions{K: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(hits); !slices.Equal(got, []uint64{4, 5, 3, 6}) {
		t.Errorf("Search ids = %v", got)
	}
	if math.Abs(float64(hits[0].Score)-0.2) > 1e-5 || hits[0].Payload != nil {
		t.Errorf("best hit %+v, want score 0.2 and no payload", hits[0])
	}

	// Exact search, a filter, payloads.
	filter := `{"field": "lang", "eq": "fr"}`
	hits, err = docs.Search([]float32{4.2, 0, 0}, quiver.SearchOptions{K: 3, Exact: true, Filter: filter, WithPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(hits); !slices.Equal(got, []uint64{4, 6, 2}) {
		t.Errorf("filtered Search ids = %v", got)
	}
	var p struct {
		Lang string
		N    int
	}
	if err := json.Unmarshal(hits[0].Payload, &p); err != nil || p.Lang != "fr" || p.N != 4 {
		t.Errorf("payload %s -> %+v, %v", hits[0].Payload, p, err)
	}
	// Fewer matches than k: a filter on a range.
	hits, err = docs.Search([]float32{0, 0, 0}, quiver.SearchOptions{K: 5, Filter: `{"field": "n", "gte": 9}`})
	if err != nil || !slices.Equal(hitIDs(hits), []uint64{9}) {
		t.Errorf("range-filtered Search = %v, %v", hits, err)
	}

	// Batch search with owned results, read lazily.
	res, err := docs.SearchBatch([][]float32{{1, 0, 0}, {10, 0, 0}, {5, 0, 0}}, quiver.SearchOptions{K: 2, WithPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Len() != 3 || res.NumHits(1) != 2 {
		t.Fatalf("Results: Len %d, NumHits(1) %d", res.Len(), res.NumHits(1))
	}
	if got := hitIDs(res.Hits(0)); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("Hits(0) = %v", got)
	}
	if got := hitIDs(res.Hits(1)); !slices.Equal(got, []uint64{10, 9}) {
		t.Errorf("Hits(1) = %v", got)
	}
	if pl := res.Payload(1, 0); pl != nil {
		t.Errorf("Payload(1, 0) of id 10 = %s, want nil", pl)
	}
	if pl := res.Payload(1, 1); string(pl) != `{"lang":"en","n":9}` {
		t.Errorf("Payload(1, 1) = %s", pl)
	}
	res.Close()
	res.Close() // idempotent
	if res.Len() != 0 {
		t.Errorf("Len after Close = %d", res.Len())
	}

	// Caller arrays: the flat form, with unused slots.
	q := []float32{1, 0, 0, 2, 0, 0}
	outIDs := make([]uint64, 2*3)
	outScores := make([]float32, 2*3)
	counts := make([]uint32, 2)
	if err := docs.SearchInto(q, 3, quiver.SearchOptions{K: 3, Filter: `{"field": "n", "lt": 3}`}, outIDs, outScores, counts); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(counts, []uint32{2, 2}) || !slices.Equal(outIDs, []uint64{1, 2, quiver.NoID, 2, 1, quiver.NoID}) ||
		!math.IsNaN(float64(outScores[2])) {
		t.Errorf("SearchInto: counts %v ids %v scores %v", counts, outIDs, outScores)
	}

	// Scroll, with and without filter, in pages.
	page, err := docs.Scroll(0, 4, "")
	if err != nil || !slices.Equal(page.IDs, []uint64{1, 2, 3, 4}) || !page.HasNext || page.Next != 5 {
		t.Errorf("Scroll(0, 4) = %+v, %v", page, err)
	}
	all, err := docs.ScrollAll(`{"field": "lang", "eq": "en"}`)
	if err != nil || !slices.Equal(all, []uint64{1, 3, 5, 7, 9}) {
		t.Errorf("ScrollAll(en) = %v, %v", all, err)
	}

	// Delete, then replace a point.
	if n, err := docs.Delete(2, 4, 404); err != nil || n != 2 {
		t.Errorf("Delete = %d, %v; want 2", n, err)
	}
	if err := docs.UpsertFlat([]uint64{5}, []float32{0, 0, 9}, [][]byte{[]byte(`{"lang":"de"}`)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := docs.Count(); n != 8 {
		t.Errorf("Count after delete = %d, want 8", n)
	}
	if err := docs.Checkpoint(); err != nil {
		t.Fatal(err)
	}

	// Collections: list, a second one, drop.
	other := createCollection(t, db, "other", quiver.CollectionConfig{Dimension: 2})
	other.Close()
	names, err := db.ListCollections()
	if err != nil || !slices.Equal(names, []string{"docs", "other"}) {
		t.Errorf("ListCollections = %v, %v", names, err)
	}
	if err := db.DropCollection("other"); err != nil {
		t.Fatal(err)
	}

	// Everything survives closing and reopening.
	if err := docs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := quiver.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if names, _ := db2.ListCollections(); !slices.Equal(names, []string{"docs"}) {
		t.Errorf("after reopen: collections %v", names)
	}
	docs2, err := db2.OpenCollection("docs")
	if err != nil {
		t.Fatal(err)
	}
	defer docs2.Close()
	recs, err = docs2.Get(2, 5)
	if err != nil || recs[0].Found || !slices.Equal(recs[1].Vector, []float32{0, 0, 9}) || string(recs[1].Payload) != `{"lang":"de"}` {
		t.Errorf("after reopen: Get(2, 5) = %+v, %v", recs, err)
	}
}

func hitIDs(hits []quiver.Hit) []uint64 {
	ids := make([]uint64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

// UpsertPoints marshals Go values; []byte and json.RawMessage go as is.
func TestUpsertPointsJSON(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "points", quiver.CollectionConfig{Dimension: 2, Metric: quiver.Dot})
	type doc struct {
		Title string   `json:"title"`
		Tags  []string `json:"tags"`
	}
	err := c.UpsertPoints([]quiver.Point{
		{ID: 1, Vector: []float32{1, 0}},
		{ID: 2, Vector: []float32{0, 1}, Payload: doc{Title: "two", Tags: []string{"a", "b"}}},
		{ID: 3, Vector: []float32{1, 1}, Payload: []byte(`{"raw":true}`)},
		{ID: 4, Vector: []float32{2, 1}, Payload: json.RawMessage(`{"n":4}`)},
		{ID: 5, Vector: []float32{3, 1}, Payload: map[string]int{"n": 5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Get(1, 2, 3, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if recs[0].Payload != nil || json.Unmarshal(recs[1].Payload, &d) != nil || !reflect.DeepEqual(d, doc{"two", []string{"a", "b"}}) {
		t.Errorf("payloads 1, 2: %s %s", recs[0].Payload, recs[1].Payload)
	}
	for i, want := range []string{`{"raw":true}`, `{"n":4}`, `{"n":5}`} {
		if got := string(recs[2+i].Payload); got != want {
			t.Errorf("payload of %d = %s, want %s", 3+i, got, want)
		}
	}
	// A value encoding/json cannot marshal fails the whole batch.
	err = c.UpsertPoints([]quiver.Point{{ID: 6, Vector: []float32{1, 2}}, {ID: 7, Vector: []float32{1, 2}, Payload: func() {}}})
	mustCode(t, "unmarshallable payload", err, quiver.ErrInvalidArgument)
	if n, _ := c.Count(); n != 5 {
		t.Errorf("Count = %d after a failed batch, want 5", n)
	}
}

// Rows that are sub-slices of one flat buffer are passed without copying;
// both forms give the same result.
func TestUpsertRowsAndFlat(t *testing.T) {
	db, _ := openDB(t, nil)
	a := createCollection(t, db, "a", quiver.CollectionConfig{Dimension: 4})
	b := createCollection(t, db, "b", quiver.CollectionConfig{Dimension: 4})
	rows := randomVectors(1, 50, 4)
	flat := make([]float32, 0, 200)
	for _, r := range rows {
		flat = append(flat, r...)
	}
	views := make([][]float32, 50) // contiguous rows of flat
	for i := range views {
		views[i] = flat[i*4 : (i+1)*4]
	}
	if err := a.Upsert(seq(0, 50), rows, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Upsert(seq(0, 50), views, nil); err != nil {
		t.Fatal(err)
	}
	ra, _ := a.Get(seq(0, 50)...)
	rb, _ := b.Get(seq(0, 50)...)
	for i := range ra {
		if !slices.Equal(ra[i].Vector, rb[i].Vector) {
			t.Fatalf("point %d: %v vs %v", i, ra[i].Vector, rb[i].Vector)
		}
	}
	// Ragged rows are refused before the library sees them.
	err := a.Upsert([]uint64{1, 2}, [][]float32{{1, 2, 3, 4}, {1, 2, 3}}, nil)
	mustCode(t, "ragged rows", err, quiver.ErrDimensionMismatch)
}

// A metadata-only collection: payloads without vectors; vector search is
// unsupported.
func TestMetadataOnly(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "meta", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	err := c.UpsertPoints([]quiver.Point{{ID: 7, Payload: map[string]string{"k": "v"}}, {ID: 8, Payload: map[string]string{"k": "w"}}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Get(7)
	if err != nil || !recs[0].Found || string(recs[0].Payload) != `{"k":"v"}` || recs[0].Vector != nil {
		t.Fatalf("Get = %+v, %v", recs, err)
	}
	ids, err := c.ScrollAll(`{"field": "k", "eq": "w"}`)
	if err != nil || !slices.Equal(ids, []uint64{8}) {
		t.Errorf("ScrollAll = %v, %v", ids, err)
	}
	cfg, _ := c.Config()
	if cfg.Kind != quiver.KindMetadataOnly || cfg.Dimension != 0 {
		t.Errorf("Config = %+v", cfg)
	}
}
