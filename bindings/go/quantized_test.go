package quiver_test

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// The SQ8 tests use the first sq8Points vectors of the WordNet sample
// (384-dimensional MiniLM embeddings) and its first sq8Queries queries.
const (
	sq8Points  = 600
	sq8Queries = 20
	sq8K       = 10
	// exactTol is how close a rescored score must be to the cosine computed
	// here in float64; a score estimated on the codes must stay within
	// codesTol of it.
	exactTol = 1e-4
	codesTol = 0.05
)

func TestStorageString(t *testing.T) {
	for s, want := range map[quiver.Storage]string{
		quiver.StorageF32: "f32",
		quiver.StorageSQ8: "sq8",
		quiver.Storage(7): "Storage(7)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Storage(%d).String() = %q, want %q", uint32(s), got, want)
		}
	}
	if quiver.StorageF32 != 0 {
		t.Errorf("StorageF32 = %d: the zero value of CollectionConfig must be f32", quiver.StorageF32)
	}
}

// sq8Data is the slice of the WordNet sample the SQ8 tests search.
type sq8Data struct {
	base    [][]float32 // sq8Points rows
	queries [][]float32 // sq8Queries rows
}

func loadSQ8Data(t *testing.T) sq8Data {
	t.Helper()
	dir := sampleDir()
	rows := func(flat []float32) [][]float32 {
		out := make([][]float32, len(flat)/wordnetDim)
		for i := range out {
			out[i] = flat[i*wordnetDim : (i+1)*wordnetDim : (i+1)*wordnetDim]
		}
		return out
	}
	return sq8Data{
		base:    rows(readF16(t, filepath.Join(dir, "base.f16"), sq8Points, wordnetDim)),
		queries: rows(readF16(t, filepath.Join(dir, "queries.f16"), sq8Queries, wordnetDim)),
	}
}

// cosine is the exact cosine similarity of a and b, in float64.
func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// exactTopK returns the ids of the k points of base nearest to q by cosine.
func exactTopK(base [][]float32, q []float32, k int) []uint64 {
	ids := make([]uint64, len(base))
	scores := make([]float64, len(base))
	for i, v := range base {
		ids[i] = uint64(i)
		scores[i] = cosine(q, v)
	}
	sort.SliceStable(ids, func(a, b int) bool { return scores[ids[a]] > scores[ids[b]] })
	return ids[:k]
}

// scoreErrors checks the hits of query q (what names them) and returns, for
// each hit, |score - exact cosine|. It fails the test when there are not K
// hits, an id is out of range or repeated, or the scores are not best first.
func scoreErrors(t *testing.T, what string, d sq8Data, q int, hits []quiver.Hit) []float64 {
	t.Helper()
	if len(hits) != sq8K {
		t.Fatalf("%s, query %d: %d hits, want %d", what, q, len(hits), sq8K)
	}
	seen := map[uint64]bool{}
	errs := make([]float64, len(hits))
	for j, h := range hits {
		if h.ID >= sq8Points || seen[h.ID] {
			t.Fatalf("%s, query %d: hit %d has id %d (hits %v)", what, q, j, h.ID, hits)
		}
		seen[h.ID] = true
		if j > 0 && h.Score > hits[j-1].Score {
			t.Errorf("%s, query %d: hit %d scores %g > hit %d's %g", what, q, j, h.Score, j-1, hits[j-1].Score)
		}
		errs[j] = math.Abs(float64(h.Score) - cosine(d.queries[q], d.base[h.ID]))
	}
	return errs
}

// checkExactScores fails the test for each hit of query q whose score is not
// its exact cosine (within exactTol), besides the checks of scoreErrors.
func checkExactScores(t *testing.T, what string, d sq8Data, q int, hits []quiver.Hit) {
	t.Helper()
	for j, e := range scoreErrors(t, what, d, q, hits) {
		if e > exactTol {
			t.Errorf("%s, query %d: hit %d (id %d) scores %.6f, exact cosine %.6f",
				what, q, j, hits[j].ID, hits[j].Score, cosine(d.queries[q], d.base[hits[j].ID]))
		}
	}
}

// searchPath is one way of running a search of query q: every Go entry point
// builds its own qv_search_params, so each must pass the options on.
type searchPath struct {
	name string
	run  func(c *quiver.Collection, d sq8Data, q int, opts quiver.SearchOptions) ([]quiver.Hit, error)
}

var searchPaths = []searchPath{
	{"Search", func(c *quiver.Collection, d sq8Data, q int, opts quiver.SearchOptions) ([]quiver.Hit, error) {
		return c.Search(d.queries[q], opts)
	}},
	{"Search WithPayload", func(c *quiver.Collection, d sq8Data, q int, opts quiver.SearchOptions) ([]quiver.Hit, error) {
		opts.WithPayload = true // library-owned results (qv_collection_search_results)
		return c.Search(d.queries[q], opts)
	}},
	{"SearchBatch", func(c *quiver.Collection, d sq8Data, q int, opts quiver.SearchOptions) ([]quiver.Hit, error) {
		r, err := c.SearchBatch(d.queries[q:q+1], opts)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return r.Hits(0), nil
	}},
	{"SearchInto", func(c *quiver.Collection, d sq8Data, q int, opts quiver.SearchOptions) ([]quiver.Hit, error) {
		k := sq8K
		if opts.K != 0 {
			k = opts.K
		}
		ids, scores, counts := make([]uint64, k), make([]float32, k), make([]uint32, 1)
		if err := c.SearchInto(d.queries[q], wordnetDim, opts, ids, scores, counts); err != nil {
			return nil, err
		}
		hits := make([]quiver.Hit, counts[0])
		for j := range hits {
			hits[j] = quiver.Hit{ID: ids[j], Score: scores[j]}
		}
		return hits, nil
	}},
	{"Explain", func(c *quiver.Collection, d sq8Data, q int, opts quiver.SearchOptions) ([]quiver.Hit, error) {
		e, err := c.Explain(d.queries[q], opts)
		return e.Hits, err
	}},
}

// sq8Collection creates collection name in db with storage, upserts the
// sample's points and optimizes it into one sealed segment (whose searches
// walk the codes, in SQ8).
func sq8Collection(t *testing.T, db *quiver.DB, name string, storage quiver.Storage, d sq8Data) *quiver.Collection {
	t.Helper()
	c := createCollection(t, db, name, quiver.CollectionConfig{Dimension: wordnetDim, Metric: quiver.Cosine, Storage: storage})
	if err := c.Upsert(seq(0, sq8Points), d.base, nil); err != nil {
		t.Fatalf("%s: Upsert: %v", name, err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatalf("%s: Optimize: %v", name, err)
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatalf("%s: Stats: %v", name, err)
	}
	sealed := uint64(0)
	for _, s := range st.Segments {
		if s.Kind == quiver.SegmentSealed {
			sealed += s.Points
		}
	}
	if st.LivePoints != sq8Points || sealed != sq8Points {
		t.Fatalf("%s after Optimize: %d live points, %d in sealed segments, want %d: %s", name, st.LivePoints, sealed, sq8Points, st.JSON)
	}
	return c
}

// checkConfig fails the test unless c reports storage and the config it was
// created with.
func checkConfig(t *testing.T, what string, c *quiver.Collection, storage quiver.Storage) {
	t.Helper()
	cfg, err := c.Config()
	if err != nil {
		t.Fatalf("%s: Config: %v", what, err)
	}
	if cfg.Storage != storage || cfg.Metric != quiver.Cosine || cfg.Dimension != wordnetDim || cfg.Kind != quiver.KindVector {
		t.Errorf("%s: Config = %+v (storage %v), want storage %v, cosine, dimension %d", what, cfg, cfg.Storage, storage, wordnetDim)
	}
}

// An SQ8 collection reports its storage mode, returns exact scores when it
// rescores (the default, and any oversampling), estimated ones within
// codesTol when NoRescore is set, on every search entry point, and keeps its
// mode and codes across a reopen.
func TestSQ8Search(t *testing.T) {
	d := loadSQ8Data(t)
	dir := filepath.Join(t.TempDir(), "db")
	db, err := quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	c := sq8Collection(t, db, "sq8", quiver.StorageSQ8, d)
	checkConfig(t, "sq8", c, quiver.StorageSQ8)

	// Rescoring (the default): exact scores, and the nearest points.
	rescored := []quiver.SearchOptions{
		{K: sq8K},
		{K: sq8K, Exact: true},
		{K: sq8K, Oversampling: 1},
		{K: sq8K, Oversampling: 100},
		{K: sq8K, Oversampling: 2.5, Exact: true},
	}
	truth := make([]map[uint64]bool, len(d.queries)) // the exact top K of each query
	for q := range truth {
		truth[q] = map[uint64]bool{}
		for _, id := range exactTopK(d.base, d.queries[q], sq8K) {
			truth[q][id] = true
		}
	}
	for _, opts := range rescored {
		for _, p := range searchPaths {
			what := p.name + " " + optsString(opts)
			found := 0
			for q := range d.queries {
				hits, err := p.run(c, d, q, opts)
				if err != nil {
					t.Fatalf("%s, query %d: %v", what, q, err)
				}
				checkExactScores(t, what, d, q, hits)
				for _, h := range hits {
					if truth[q][h.ID] {
						found++
					}
				}
			}
			// Loose: a sanity check that the codes find the neighbours, not
			// a recall benchmark.
			if recall := float64(found) / float64(sq8K*len(d.queries)); recall < 0.8 {
				t.Errorf("%s: recall@%d %.3f, want >= 0.8", what, sq8K, recall)
			}
		}
	}

	// NoRescore: the scores estimated on the codes, close to the exact ones
	// but not all equal to them.
	checkEstimated := func(what string, c *quiver.Collection, opts quiver.SearchOptions) {
		t.Helper()
		for _, p := range searchPaths {
			what := what + ": " + p.name + " " + optsString(opts)
			maxErr := 0.0
			for q := range d.queries {
				hits, err := p.run(c, d, q, opts)
				if err != nil {
					t.Fatalf("%s, query %d: %v", what, q, err)
				}
				for j, e := range scoreErrors(t, what, d, q, hits) {
					maxErr = math.Max(maxErr, e)
					if e > codesTol {
						t.Errorf("%s, query %d: hit %d (id %d) scores %.6f, exact cosine %.6f (more than %g off)",
							what, q, j, hits[j].ID, hits[j].Score, cosine(d.queries[q], d.base[hits[j].ID]), codesTol)
					}
				}
			}
			if maxErr <= exactTol {
				t.Errorf("%s: every score is within %g of the exact cosine: not the codes' estimates", what, exactTol)
			}
			t.Logf("%s: largest score error %.5f", what, maxErr)
		}
	}
	// (Graph searches only: an exact search scans the original vectors.)
	checkEstimated("sq8", c, quiver.SearchOptions{K: sq8K, NoRescore: true})
	checkEstimated("sq8", c, quiver.SearchOptions{K: sq8K, NoRescore: true, Oversampling: 5})

	// Oversampling out of range: ErrInvalidArgument from the library, naming
	// the parameter, on every entry point.
	for _, bad := range []float32{0.5, -1, 101, float32(math.NaN()), float32(math.Inf(1))} {
		for _, p := range searchPaths {
			opts := quiver.SearchOptions{K: sq8K, Oversampling: bad}
			what := p.name + " " + optsString(opts)
			_, err := p.run(c, d, 0, opts)
			qe := mustCode(t, what, err, quiver.ErrInvalidArgument)
			if !strings.Contains(qe.Message, "params.oversampling") {
				t.Errorf("%s: message %q does not name params.oversampling", what, qe.Message)
			}
			if math.IsNaN(float64(bad)) && !strings.Contains(qe.Message, "NaN") {
				t.Errorf("%s: message %q does not say NaN", what, qe.Message)
			}
			if bad == 0.5 && !strings.Contains(qe.Message, "0.5") {
				t.Errorf("%s: message %q does not give the value 0.5", what, qe.Message)
			}
		}
	}

	// The mode and the codes survive a reopen.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	c, err = db.OpenCollection("sq8")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkConfig(t, "sq8 reopened", c, quiver.StorageSQ8)
	checkEstimated("sq8 reopened", c, quiver.SearchOptions{K: sq8K, NoRescore: true})
}

// An f32 collection (the zero value of Storage) reports StorageF32 and
// ignores NoRescore and Oversampling: its scores are always exact.
func TestF32IgnoresQuantizedOptions(t *testing.T) {
	d := loadSQ8Data(t)
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	c := sq8Collection(t, db, "f32", quiver.StorageF32, d)
	checkConfig(t, "f32", c, quiver.StorageF32)
	for _, opts := range []quiver.SearchOptions{
		{K: sq8K, NoRescore: true},
		{K: sq8K, NoRescore: true, Exact: true, Oversampling: 4},
	} {
		for _, p := range searchPaths {
			what := "f32: " + p.name + " " + optsString(opts)
			for q := range d.queries {
				hits, err := p.run(c, d, q, opts)
				if err != nil {
					t.Fatalf("%s, query %d: %v", what, q, err)
				}
				checkExactScores(t, what, d, q, hits)
			}
		}
	}
}

// SQ8 is refused, naming config.storage, with the metrics it does not
// support and for metadata-only collections; an unknown storage mode is
// refused too; nothing is created.
func TestSQ8Refused(t *testing.T) {
	db, _ := openDB(t, nil)
	cases := []struct {
		name string
		cfg  quiver.CollectionConfig
		want []string // in the message
	}{
		{"hamming", quiver.CollectionConfig{Dimension: 8, Metric: quiver.Hamming, Storage: quiver.StorageSQ8},
			[]string{"config.storage", "sq8", "hamming"}},
		{"jaccard", quiver.CollectionConfig{Dimension: 8, Metric: quiver.Jaccard, Storage: quiver.StorageSQ8},
			[]string{"config.storage", "sq8", "jaccard"}},
		{"metadata", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly, Storage: quiver.StorageSQ8},
			[]string{"config.storage", "sq8"}},
		{"unknown", quiver.CollectionConfig{Dimension: 8, Storage: quiver.Storage(7)},
			[]string{"storage"}},
	}
	for _, tc := range cases {
		c, err := db.CreateCollection(tc.name, tc.cfg)
		if err == nil {
			c.Close()
		}
		what := "CreateCollection " + tc.name + " " + tc.cfg.Storage.String()
		qe := mustCode(t, what, err, quiver.ErrInvalidArgument)
		for _, w := range tc.want {
			if !strings.Contains(qe.Message, w) {
				t.Errorf("%s: message %q does not contain %q", what, qe.Message, w)
			}
		}
	}
	if names, err := db.ListCollections(); err != nil || len(names) != 0 {
		t.Errorf("ListCollections after the refusals = %q, %v; want none", names, err)
	}
	// The same configurations in f32 are fine: the refusal is SQ8's.
	for _, tc := range cases[:3] {
		cfg := tc.cfg
		cfg.Storage = quiver.StorageF32
		c := createCollection(t, db, tc.name, cfg)
		if got, err := c.Config(); err != nil || got.Storage != quiver.StorageF32 {
			t.Errorf("%s in f32: Config = %+v, %v", tc.name, got, err)
		}
	}
	// Dot and Euclidean take SQ8.
	for name, m := range map[string]quiver.Metric{"dot": quiver.Dot, "euclidean": quiver.Euclidean} {
		c := createCollection(t, db, "sq8-"+name, quiver.CollectionConfig{Dimension: 8, Metric: m, Storage: quiver.StorageSQ8})
		if got, err := c.Config(); err != nil || got.Storage != quiver.StorageSQ8 || got.Metric != m {
			t.Errorf("SQ8 with metric %s: Config = %+v, %v", name, got, err)
		}
	}
}

// optsString names the options a test varies, for messages.
func optsString(o quiver.SearchOptions) string {
	return fmt.Sprintf("{Exact:%v Oversampling:%g NoRescore:%v}", o.Exact, o.Oversampling, o.NoRescore)
}
