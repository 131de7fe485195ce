package quiver_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

const wordnetDim = 384

// The committed WordNet sample (5,000 MiniLM embeddings of WordNet
// definitions, half floats widened to float32 here, with their JSON lines as
// payloads): recall against the exact ground truth, exact search, and a
// filtered search whose payloads are decoded with encoding/json.
func TestWordNetSample(t *testing.T) {
	dir := sampleDir()
	base := readF16(t, filepath.Join(dir, "base.f16"), -1, wordnetDim)
	n := len(base) / wordnetDim
	lines := readLines(t, filepath.Join(dir, "base.jsonl"), n)
	queries := readF16(t, filepath.Join(dir, "queries.f16"), -1, wordnetDim)
	nq := len(queries) / wordnetDim
	gt := readU32(t, filepath.Join(dir, "gt100.u32"))
	if n != 5000 || len(lines) != n || nq != 100 || len(gt) != nq*100 {
		t.Fatalf("sample: %d vectors, %d lines, %d queries, %d ground-truth ids", n, len(lines), nq, len(gt))
	}

	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	c := createCollection(t, db, "wordnet", quiver.CollectionConfig{Dimension: wordnetDim, Metric: quiver.Cosine, M: 16, EfConstruction: 200})
	if err := c.UpsertFlat(seq(0, n), base, lines); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Count(); got != n {
		t.Fatalf("Count = %d", got)
	}

	// Graph search, all queries in one call: recall@10.
	const k = 10
	recall := func(r *quiver.Results) float64 {
		found := 0
		for q := 0; q < r.Len(); q++ {
			truth := map[uint64]bool{}
			for _, id := range gt[q*100 : q*100+k] {
				truth[uint64(id)] = true
			}
			for _, h := range r.Hits(q) {
				if truth[h.ID] {
					found++
				}
			}
		}
		return float64(found) / float64(r.Len()*k)
	}
	res, err := c.SearchBatchFlat(queries, wordnetDim, quiver.SearchOptions{K: k, Ef: 64})
	if err != nil {
		t.Fatal(err)
	}
	graphRecall := recall(res)
	res.Close()
	res, err = c.SearchBatchFlat(queries, wordnetDim, quiver.SearchOptions{K: k, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	exactRecall := recall(res)
	res.Close()
	t.Logf("recall@10 on the sample: graph (ef 64) %.3f, exact %.3f", graphRecall, exactRecall)
	if graphRecall < 0.9 || exactRecall < 0.99 {
		t.Errorf("recall@10: graph %.3f (want >= 0.9), exact %.3f (want >= 0.99)", graphRecall, exactRecall)
	}

	// A selective filter (noun.animal, ~7% of the sample): k matching hits
	// with their payloads.
	type entry struct {
		ID       uint64 `json:"id"`
		Text     string `json:"text"`
		Category string `json:"category"`
	}
	filter := `{"field": "category", "eq": "noun.animal"}`
	for q := 0; q < 5; q++ {
		hits, err := c.Search(queries[q*wordnetDim:(q+1)*wordnetDim], quiver.SearchOptions{K: k, Filter: filter, WithPayload: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != k {
			t.Fatalf("query %d: %d filtered hits", q, len(hits))
		}
		for _, h := range hits {
			var e entry
			if err := json.Unmarshal(h.Payload, &e); err != nil {
				t.Fatalf("payload %s: %v", h.Payload, err)
			}
			if e.Category != "noun.animal" || e.ID != h.ID || e.Text == "" {
				t.Errorf("query %d: hit %d has payload %+v", q, h.ID, e)
			}
		}
		if q == 0 {
			t.Logf("nearest animal to query 0: %d %.3f %q", hits[0].ID, hits[0].Score, hitText(hits[0]))
		}
	}
	// Get returns each point's payload (as the library re-encodes it: same
	// JSON value) and its vector (normalised for cosine: parallel to the input).
	recs, err := c.Get(0, 4999)
	if err != nil || !recs[0].Found || !recs[1].Found {
		t.Fatalf("Get(0, 4999) = %+v, %v", recs, err)
	}
	var got, want map[string]any
	if json.Unmarshal(recs[1].Payload, &got) != nil || json.Unmarshal(lines[4999], &want) != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("payload of 4999: %s, stored %s", recs[1].Payload, lines[4999])
	}
	var dot, norm float64
	for i, v := range recs[0].Vector {
		dot += float64(v) * float64(base[i])
		norm += float64(base[i]) * float64(base[i])
	}
	if cos := dot / math.Sqrt(norm); len(recs[0].Vector) != wordnetDim || math.Abs(cos-1) > 1e-3 {
		t.Errorf("vector of 0: %d floats, cosine to the input %.5f", len(recs[0].Vector), cos)
	}
}

func hitText(h quiver.Hit) string {
	var e struct{ Text string }
	_ = json.Unmarshal(h.Payload, &e)
	return e.Text
}

func TestHalfToFloat32(t *testing.T) {
	cases := map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x3800: 0.5, 0x3555: 0.333251953125,
		0x0001: 1.0 / (1 << 24), 0x03ff: 1023.0 / (1 << 24), 0x0400: 1.0 / (1 << 14), 0x7bff: 65504,
		0xfc00: float32(math.Inf(-1)),
	}
	for h, want := range cases {
		if got := halfToFloat32(h); got != want {
			t.Errorf("halfToFloat32(%#04x) = %g, want %g", h, got, want)
		}
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("halfToFloat32(0x8000) = %g, want -0", got)
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("halfToFloat32(0x7e00) = %g, want NaN", got)
	}
}
