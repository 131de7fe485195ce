package quiver_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// ---- corpus ---------------------------------------------------------------------

// hybridN points 0..hybridN-1 with a hybridDim vector (Euclidean) and a
// payload {"body": textBody(i), "tag": i%3}; body has a text index, tag an
// integer index (and no text index). Half the points are in a sealed
// segment.
const (
	hybridN   = 80
	hybridDim = 8
)

// hybridCollection creates the corpus's collection; it returns the vectors
// and payloads by id.
func hybridCollection(t *testing.T, db *quiver.DB) (*quiver.Collection, [][]float32, [][]byte) {
	t.Helper()
	c := createCollection(t, db, "hyb", quiver.CollectionConfig{Dimension: hybridDim, Metric: quiver.Euclidean})
	vecs := randomVectors(11, hybridN, hybridDim)
	payloads := make([][]byte, hybridN)
	for i := range payloads {
		payloads[i] = []byte(fmt.Sprintf(`{"body":"%s","tag":%d}`, textBody(i), i%3))
	}
	ids := seq(0, hybridN)
	h := hybridN / 2
	if err := c.Upsert(ids[:h], vecs[:h], payloads[:h]); err != nil {
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTextIndex("body", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateFieldIndex("tag", quiver.Integer); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ids[h:], vecs[h:], payloads[h:]); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitOptimized(); err != nil {
		t.Fatal(err)
	}
	return c, vecs, payloads
}

// ---- fusion computed in the test ---------------------------------------------------

// testBranch is a branch's own result list (best first), its weight and
// whether its scores are higher-is-better.
type testBranch struct {
	hits   []quiver.Hit
	weight float64
	higher bool
}

// orient makes a score higher-is-better.
func orient(s float32, higher bool) float64 {
	if higher {
		return float64(s)
	}
	return -float64(s)
}

// fuseInTest is the library's branch fusion written out (fusion 0 is RRF):
// every id of any
// branch gets the sum over the branches holding it of weight × c, c being
// 1/(rrfK + rank) (RRF), the min-max normalised oriented score (RSF; all
// equal: 1), the oriented score normalised over mean ± 3 population
// standard deviations and clamped to [0, 1] (DBSF; all equal: 1) or the
// oriented score (weighted).
func fuseInTest(fusion quiver.Fusion, rrfK float64, branches []testBranch) map[uint64]float64 {
	out := map[uint64]float64{}
	for _, b := range branches {
		lo, hi := math.Inf(1), math.Inf(-1)
		mean, sigma := 0.0, 0.0
		for _, h := range b.hits {
			o := orient(h.Score, b.higher)
			lo, hi = math.Min(lo, o), math.Max(hi, o)
			mean += o
		}
		mean /= float64(len(b.hits))
		for _, h := range b.hits {
			d := orient(h.Score, b.higher) - mean
			sigma += d * d
		}
		sigma = math.Sqrt(sigma / float64(len(b.hits)))
		for r, h := range b.hits {
			o := orient(h.Score, b.higher)
			var c float64
			switch fusion {
			case 0, quiver.FusionRRF:
				c = 1 / (rrfK + float64(r+1))
			case quiver.FusionRSF:
				c = 1
				if lo != hi {
					c = (o - lo) / (hi - lo)
				}
			case quiver.FusionDBSF:
				c = 1
				if lo != hi {
					c = math.Max(0, math.Min(1, (o-(mean-3*sigma))/(6*sigma)))
				}
			case quiver.FusionWeighted:
				c = o
			}
			out[h.ID] += b.weight * c
		}
	}
	return out
}

// checkOrder checks that hits are best first by their own scores (higher
// first, or lower first when !higher), equal scores by ascending id, with
// no id twice.
func checkOrder(t *testing.T, what string, hits []quiver.Hit, higher bool) {
	t.Helper()
	seen := map[uint64]bool{}
	for j, h := range hits {
		if seen[h.ID] {
			t.Fatalf("%s: id %d twice", what, h.ID)
		}
		seen[h.ID] = true
		if j == 0 {
			continue
		}
		p := hits[j-1]
		better := p.Score > h.Score
		if !higher {
			better = p.Score < h.Score
		}
		if !better && !(p.Score == h.Score && p.ID < h.ID) {
			t.Fatalf("%s: hit %d (id %d, %g) after hit %d (id %d, %g) is out of order", what, j, h.ID, h.Score, j-1, p.ID, p.Score)
		}
	}
}

// negated returns hits with negated scores, and want negated: lower-first
// rankings checked with checkRanking.
func negated(hits []quiver.Hit, want map[uint64]float64) ([]quiver.Hit, map[uint64]float64) {
	h := slices.Clone(hits)
	for j := range h {
		h[j].Score = -h[j].Score
	}
	w := map[uint64]float64{}
	for id, s := range want {
		w[id] = -s
	}
	return h, w
}

// sameHits reports whether a and b hold the same ids and scores in order.
func sameHits(a, b []quiver.Hit) bool {
	return slices.EqualFunc(a, b, func(x, y quiver.Hit) bool { return x.ID == y.ID && x.Score == y.Score })
}

func mustSearch(t *testing.T, c *quiver.Collection, q []float32, opts quiver.SearchOptions) []quiver.Hit {
	t.Helper()
	hits, err := c.Search(q, opts)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(hits) == 0 {
		t.Fatal("Search found nothing")
	}
	return hits
}

func mustTextSearch(t *testing.T, c *quiver.Collection, q string, p quiver.TextSearchParams) []quiver.Hit {
	t.Helper()
	hits, err := c.TextSearch(q, p)
	if err != nil {
		t.Fatalf("TextSearch(%q): %v", q, err)
	}
	if len(hits) == 0 {
		t.Fatalf("TextSearch(%q) found nothing", q)
	}
	return hits
}

func mustHybrid(t *testing.T, c *quiver.Collection, what string, p quiver.HybridParams) []quiver.Hit {
	t.Helper()
	hits, err := c.HybridSearch(p)
	if err != nil {
		t.Fatalf("%s: HybridSearch: %v", what, err)
	}
	return hits
}

// ---- tests ----------------------------------------------------------------------

// TestHybridTypes: the constructors, the zero values and the names.
func TestHybridTypes(t *testing.T) {
	v := []float32{1, 2}
	opts := quiver.SearchOptions{K: 7, Exact: true, Filter: `{"field": "tag", "eq": 1}`}
	d := quiver.DenseBranch(v, opts)
	if d.Kind != quiver.BranchDense || !slices.Equal(d.Vector, v) || d.Search != opts || d.Weight != 0 || d.Query != "" {
		t.Errorf("DenseBranch: %+v", d)
	}
	tp := quiver.TextSearchParams{K: 3, Mode: quiver.MatchAll, Fields: []quiver.TextField{{Name: "body"}}}
	x := quiver.TextBranch("red fish", tp)
	if x.Kind != quiver.BranchText || x.Query != "red fish" || x.Text.K != 3 || x.Text.Mode != quiver.MatchAll ||
		len(x.Text.Fields) != 1 || x.Vector != nil || x.Weight != 0 {
		t.Errorf("TextBranch: %+v", x)
	}
	for f, want := range map[quiver.Fusion]string{0: "rrf", quiver.FusionRRF: "rrf", quiver.FusionRSF: "rsf",
		quiver.FusionDBSF: "dbsf", quiver.FusionWeighted: "weighted", 9: "Fusion(9)"} {
		if got := f.String(); got != want {
			t.Errorf("Fusion(%d).String() = %q, want %q", uint32(f), got, want)
		}
	}
	for f, want := range map[quiver.MultiFusion]string{0: "rrf", quiver.MultiRRF: "rrf", quiver.MultiAverage: "average",
		quiver.MultiMax: "max", quiver.MultiWeighted: "weighted", 9: "MultiFusion(9)"} {
		if got := f.String(); got != want {
			t.Errorf("MultiFusion(%d).String() = %q, want %q", uint32(f), got, want)
		}
	}
	for k, want := range map[quiver.BranchKind]string{quiver.BranchDense: "dense", quiver.BranchText: "text", 0: "BranchKind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("BranchKind(%d).String() = %q, want %q", uint32(k), got, want)
		}
	}
}

// TestHybridSearch: RRF of a dense and a text branch (each with its own
// depth and filter) equals RRF computed here from the branches' own results
// (Search and TextSearch with the same parameters), with branch weights
// (default, 0.5, 2, ExactZero) and two rrf_k values (the default 60 and 3);
// RSF, DBSF and weighted fusion likewise; a single branch keeps its
// search's order; payloads come back byte for byte.
func TestHybridSearch(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vecs, payloads := hybridCollection(t, db)
	q := vecs[7]
	dense := quiver.SearchOptions{K: 25, Exact: true, Filter: quiver.Ne("tag", 2).String()}
	text := quiver.TextSearchParams{K: 20, Fields: []quiver.TextField{{Name: "body"}}}
	const words = "fish cat"
	dHits := mustSearch(t, c, q, dense)
	tHits := mustTextSearch(t, c, words, text)
	for _, h := range dHits {
		if h.ID%3 == 2 {
			t.Fatalf("the dense branch's filter let id %d through", h.ID)
		}
	}

	cases := []struct {
		fusion       quiver.Fusion
		rrfK         float32 // as given (0 = 60)
		kUsed        float64 // as the test computes
		wDense, wTxt float32 // as given (0 = 1)
		fDense, fTxt float64 // as the test computes
		k            int
	}{
		{quiver.FusionRRF, 0, 60, 0, 2, 1, 2, 8},
		{0, 3, 3, 0.5, 0, 0.5, 1, 8}, // Fusion 0 = RRF
		{quiver.FusionRRF, 3, 3, 1, 2, 1, 2, 30},
		{quiver.FusionRRF, 0, 60, 1, quiver.ExactZero, 1, 0, 40}, // text points stay candidates with 0
		{quiver.FusionRSF, 0, 0, 0, 0, 1, 1, 10},
		{quiver.FusionRSF, 0, 0, 3, 0.5, 3, 0.5, 40},
		{quiver.FusionDBSF, 0, 0, 0, 2, 1, 2, 12},
		{quiver.FusionWeighted, 0, 0, 0.25, 1, 0.25, 1, 12},
	}
	for _, tc := range cases {
		what := fmt.Sprintf("%v rrf_k %v weights %v/%v k %d", tc.fusion, tc.rrfK, tc.wDense, tc.wTxt, tc.k)
		dbr := quiver.DenseBranch(q, dense)
		dbr.Weight = tc.wDense
		tb := quiver.TextBranch(words, text)
		tb.Weight = tc.wTxt
		hits := mustHybrid(t, c, what, quiver.HybridParams{K: tc.k, Fusion: tc.fusion, RRFK: tc.rrfK,
			Branches: []quiver.HybridBranch{dbr, tb}})
		want := fuseInTest(tc.fusion, tc.kUsed, []testBranch{{dHits, tc.fDense, false}, {tHits, tc.fTxt, true}})
		checkRanking(t, what, hits, want, tc.k, nil)
		checkOrder(t, what, hits, true)
		for _, h := range hits {
			if h.Payload != nil {
				t.Fatalf("%s: a payload without WithPayload", what)
			}
		}
	}

	// The branch order does not matter.
	a := mustHybrid(t, c, "dense, text", quiver.HybridParams{K: 15, Branches: []quiver.HybridBranch{
		quiver.DenseBranch(q, dense), quiver.TextBranch(words, text)}})
	b := mustHybrid(t, c, "text, dense", quiver.HybridParams{K: 15, Branches: []quiver.HybridBranch{
		quiver.TextBranch(words, text), quiver.DenseBranch(q, dense)}})
	if !sameHits(a, b) {
		t.Errorf("the branch order changes the result: %v, %v", a, b)
	}

	// A single branch keeps its search's order (and, with RSF, scores 1 to 0).
	one := mustHybrid(t, c, "one dense branch", quiver.HybridParams{K: dense.K,
		Branches: []quiver.HybridBranch{quiver.DenseBranch(q, dense)}})
	if len(one) != len(dHits) {
		t.Fatalf("one dense branch: %d hits, Search %d", len(one), len(dHits))
	}
	for j := range one {
		if one[j].ID != dHits[j].ID {
			t.Fatalf("one dense branch: hit %d is id %d, Search has %d", j, one[j].ID, dHits[j].ID)
		}
		if !near(float64(one[j].Score), 1/(60+float64(j+1))) {
			t.Fatalf("one dense branch: hit %d scores %g, want 1/(60+%d)", j, one[j].Score, j+1)
		}
	}
	oneText := mustHybrid(t, c, "one text branch", quiver.HybridParams{K: text.K, Fusion: quiver.FusionRSF,
		Branches: []quiver.HybridBranch{quiver.TextBranch(words, text)}})
	if len(oneText) != len(tHits) || oneText[0].Score != 1 || oneText[len(oneText)-1].Score != 0 {
		t.Fatalf("one text branch (RSF): %v, TextSearch %v", oneText, tHits)
	}
	hi, lo := float64(tHits[0].Score), float64(tHits[len(tHits)-1].Score)
	for j := range oneText {
		if oneText[j].ID != tHits[j].ID {
			t.Fatalf("one text branch: hit %d is id %d, TextSearch has %d", j, oneText[j].ID, tHits[j].ID)
		}
		if want := (float64(tHits[j].Score) - lo) / (hi - lo); !near(float64(oneText[j].Score), want) {
			t.Fatalf("one text branch: hit %d scores %g, want %g", j, oneText[j].Score, want)
		}
	}

	// Two dense branches with different queries and a graph search.
	q2 := vecs[50]
	g := quiver.SearchOptions{K: 15, Ef: 64}
	g1 := mustSearch(t, c, q, g)
	g2 := mustSearch(t, c, q2, g)
	b2 := quiver.DenseBranch(q2, g)
	b2.Weight = 1.5
	hits := mustHybrid(t, c, "two dense branches", quiver.HybridParams{K: 10, RRFK: 10,
		Branches: []quiver.HybridBranch{quiver.DenseBranch(q, g), b2}})
	checkRanking(t, "two dense branches", hits,
		fuseInTest(quiver.FusionRRF, 10, []testBranch{{g1, 1, false}, {g2, 1.5, false}}), 10, nil)

	// Payloads, byte for byte; a text branch with a filter and MatchAll.
	ft := quiver.TextSearchParams{K: 10, Mode: quiver.MatchAll, Fields: []quiver.TextField{{Name: "body", Boost: 3}},
		Filter: quiver.Eq("tag", 1).String()}
	fHits := mustTextSearch(t, c, "red fish", ft)
	for _, h := range fHits {
		if h.ID%3 != 1 {
			t.Fatalf("the text filter let id %d through", h.ID)
		}
	}
	hits = mustHybrid(t, c, "payloads", quiver.HybridParams{K: 12, RRFK: 3, WithPayload: true,
		Branches: []quiver.HybridBranch{quiver.DenseBranch(q, dense), quiver.TextBranch("red fish", ft)}})
	checkRanking(t, "payloads", hits, fuseInTest(quiver.FusionRRF, 3, []testBranch{{dHits, 1, false}, {fHits, 1, true}}), 12, nil)
	for _, h := range hits {
		if string(h.Payload) != string(payloads[h.ID]) {
			t.Fatalf("payload of %d: %q, want %q", h.ID, h.Payload, payloads[h.ID])
		}
	}

	// K 0 is the default 10.
	hits = mustHybrid(t, c, "K 0", quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.DenseBranch(q, dense)}})
	if len(hits) != 10 {
		t.Errorf("K 0: %d hits, want 10", len(hits))
	}
}

// TestMultiQuerySearch: average (the mean over the lists holding a point;
// Euclidean distances stay smallest first), max, RRF (two k values) and
// weighted fusion against a computation here from each query's own
// Search, candidates per query, and payloads.
func TestMultiQuerySearch(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vecs, payloads := hybridCollection(t, db)
	queries := [][]float32{vecs[3], vecs[40], vecs[77]}
	const depth = 20
	each := quiver.SearchOptions{K: depth, Exact: true}
	lists := make([][]quiver.Hit, len(queries))
	for i, q := range queries {
		lists[i] = mustSearch(t, c, q, each)
	}
	opts := quiver.SearchOptions{K: 6, Exact: true}
	search := func(m quiver.MultiQueryParams) []quiver.Hit {
		t.Helper()
		hits, err := c.MultiQuerySearch(queries, opts, m)
		if err != nil {
			t.Fatalf("MultiQuerySearch(%+v): %v", m, err)
		}
		return hits
	}

	// Average: a point's mean distance over the lists holding it.
	sum, cnt := map[uint64]float64{}, map[uint64]float64{}
	for _, l := range lists {
		for _, h := range l {
			sum[h.ID] += float64(h.Score)
			cnt[h.ID]++
		}
	}
	mean := map[uint64]float64{}
	for id := range sum {
		mean[id] = sum[id] / cnt[id]
	}
	hits := search(quiver.MultiQueryParams{Fusion: quiver.MultiAverage, Candidates: depth})
	checkOrder(t, "average", hits, false)
	h, w := negated(hits, mean)
	checkRanking(t, "average", h, w, opts.K, nil)

	// Max: the smallest distance.
	best := map[uint64]float64{}
	for _, l := range lists {
		for _, h := range l {
			if s, ok := best[h.ID]; !ok || float64(h.Score) < s {
				best[h.ID] = float64(h.Score)
			}
		}
	}
	hits = search(quiver.MultiQueryParams{Fusion: quiver.MultiMax, Candidates: depth})
	checkOrder(t, "max", hits, false)
	h, w = negated(hits, best)
	checkRanking(t, "max", h, w, opts.K, nil)

	// RRF, the default fusion (also the zero value) and rrf_k 10.
	for _, m := range []quiver.MultiQueryParams{{Candidates: depth}, {Fusion: quiver.MultiRRF, RRFK: 10, Candidates: depth}} {
		k := float64(m.RRFK)
		if k == 0 {
			k = 60
		}
		branches := make([]testBranch, len(lists))
		for i, l := range lists {
			branches[i] = testBranch{l, 1, false}
		}
		hits = search(m)
		what := fmt.Sprintf("rrf k %v", k)
		checkOrder(t, what, hits, true)
		checkRanking(t, what, hits, fuseInTest(quiver.FusionRRF, k, branches), opts.K, nil)
	}

	// Weighted: Σ w × -distance; a weight of 0 is 0.
	weights := []float32{1, 0, 2.5}
	branches := make([]testBranch, len(lists))
	for i, l := range lists {
		branches[i] = testBranch{l, float64(weights[i]), false}
	}
	hits = search(quiver.MultiQueryParams{Fusion: quiver.MultiWeighted, Candidates: depth, Weights: weights})
	checkOrder(t, "weighted", hits, true)
	checkRanking(t, "weighted", hits, fuseInTest(quiver.FusionWeighted, 0, branches), opts.K, nil)

	// Candidates 0 = K: each query contributes its best K.
	short := make([][]quiver.Hit, len(queries))
	for i, q := range queries {
		short[i] = mustSearch(t, c, q, opts)
	}
	branches = make([]testBranch, len(short))
	for i, l := range short {
		branches[i] = testBranch{l, 1, false}
	}
	hits = search(quiver.MultiQueryParams{})
	checkRanking(t, "candidates 0", hits, fuseInTest(quiver.FusionRRF, 60, branches), opts.K, nil)

	// One query with average is that query's search.
	hits, err := c.MultiQuerySearch(queries[:1], opts, quiver.MultiQueryParams{Fusion: quiver.MultiAverage})
	if err != nil {
		t.Fatal(err)
	}
	if !sameHits(hits, short[0]) {
		t.Errorf("one query, average: %v, Search %v", hits, short[0])
	}

	// Payloads, and a filter applied to every query.
	po := quiver.SearchOptions{K: 5, Exact: true, WithPayload: true, Filter: quiver.Eq("tag", 0).String()}
	hits, err = c.MultiQuerySearch(queries, po, quiver.MultiQueryParams{Fusion: quiver.MultiMax, Candidates: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 5 {
		t.Fatalf("payloads: %d hits", len(hits))
	}
	for _, h := range hits {
		if h.ID%3 != 0 || string(h.Payload) != string(payloads[h.ID]) {
			t.Fatalf("id %d: payload %q, want %q (tag 0)", h.ID, h.Payload, payloads[h.ID])
		}
	}
}

// TestHybridErrors: every error kind of HybridSearch and MultiQuerySearch.
func TestHybridErrors(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vecs, _ := hybridCollection(t, db)
	q := vecs[0]
	dense := quiver.DenseBranch(q, quiver.SearchOptions{K: 10})
	body := quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "body"}}}
	text := quiver.TextBranch("fish", body)
	hybrid := func(p quiver.HybridParams) error {
		hits, err := c.HybridSearch(p)
		if err != nil && hits != nil {
			t.Errorf("hits %v with error %v", hits, err)
		}
		return err
	}
	has := func(e *quiver.Error, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(e.Message, p) {
				t.Errorf("message %q does not have %q", e.Message, p)
			}
		}
	}

	has(mustCode(t, "no branches", hybrid(quiver.HybridParams{}), quiver.ErrInvalidArgument), "nbranches is 0")
	has(mustCode(t, "empty branches", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{}}), quiver.ErrInvalidArgument), "nbranches is 0")
	has(mustCode(t, "kind 0", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{dense, {Vector: q}}}), quiver.ErrInvalidArgument),
		"Branches[1].Kind is 0", "DenseBranch")
	has(mustCode(t, "kind 7", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{{Kind: 7}}}), quiver.ErrInvalidArgument),
		"branches[0].kind is 7")
	for _, wt := range []float32{-1, float32(math.NaN()), float32(math.Inf(1))} {
		b := text
		b.Weight = wt
		has(mustCode(t, fmt.Sprintf("weight %v", wt), hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{dense, b}}), quiver.ErrInvalidArgument),
			"branches[1].weight is")
	}
	short := quiver.DenseBranch(q[:hybridDim-1], quiver.SearchOptions{})
	has(mustCode(t, "dense branch of the wrong dimension", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{text, short}}), quiver.ErrDimensionMismatch),
		"branches[1]")
	mustCode(t, "dense branch without vector", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{{Kind: quiver.BranchDense}}}), quiver.ErrDimensionMismatch)
	noIndex := quiver.TextBranch("fish", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "tag"}}})
	has(mustCode(t, "text branch on a field without a text index", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{dense, noIndex}}), quiver.ErrInvalidArgument),
		"branches[1]", "has no text index")
	has(mustCode(t, "text branch without fields", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{dense, {Kind: quiver.BranchText, Query: "fish"}}}), quiver.ErrInvalidArgument),
		"branches[1]", "nfields is 0")
	boost := quiver.TextBranch("fish", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "body", Boost: -2}}})
	has(mustCode(t, "negative boost", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{boost}}), quiver.ErrInvalidArgument), "branches[0]")
	badFilter := quiver.DenseBranch(q, quiver.SearchOptions{Filter: `{"field": "tag", "eq": }`})
	has(mustCode(t, "bad dense filter", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{text, badFilter}}), quiver.ErrInvalidArgument), "branches[1]")
	badText := quiver.TextBranch("\xff", body)
	has(mustCode(t, "query not UTF-8", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{badText}}), quiver.ErrInvalidArgument), "branches[0]")
	has(mustCode(t, "branch K -1", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.DenseBranch(q, quiver.SearchOptions{K: -1})}}), quiver.ErrInvalidArgument),
		"Branches[0].Search.K is -1")
	has(mustCode(t, "branch Ef -1", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.DenseBranch(q, quiver.SearchOptions{Ef: -1})}}), quiver.ErrInvalidArgument),
		"Branches[0].Search.Ef is -1")
	has(mustCode(t, "text K -1", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{dense, quiver.TextBranch("fish", quiver.TextSearchParams{K: -1, Fields: body.Fields})}}), quiver.ErrInvalidArgument),
		"Branches[1].Text.K is -1")
	mustCode(t, "branch K 100001", hybrid(quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.DenseBranch(q, quiver.SearchOptions{K: 100001})}}), quiver.ErrInvalidArgument)
	both := []quiver.HybridBranch{dense, text}
	has(mustCode(t, "K -1", hybrid(quiver.HybridParams{K: -1, Branches: both}), quiver.ErrInvalidArgument), "HybridParams.K is -1")
	mustCode(t, "K 100001", hybrid(quiver.HybridParams{K: 100001, Branches: both}), quiver.ErrInvalidArgument)
	has(mustCode(t, "fusion 9", hybrid(quiver.HybridParams{Fusion: 9, Branches: both}), quiver.ErrInvalidArgument), "fusion is 9")
	for _, k := range []float32{-1, quiver.ExactZero, float32(math.NaN()), float32(math.Inf(1))} {
		has(mustCode(t, fmt.Sprintf("rrf_k %v", k), hybrid(quiver.HybridParams{RRFK: k, Branches: both}), quiver.ErrInvalidArgument), "rrf k")
	}
	// RRFK is ignored by the other fusions.
	if _, err := c.HybridSearch(quiver.HybridParams{Fusion: quiver.FusionRSF, RRFK: -1, Branches: both}); err != nil {
		t.Errorf("RSF with rrf_k -1: %v", err)
	}

	// Multi-query.
	two := [][]float32{vecs[1], vecs[2]}
	multi := func(qs [][]float32, opts quiver.SearchOptions, m quiver.MultiQueryParams) error {
		hits, err := c.MultiQuerySearch(qs, opts, m)
		if err != nil && hits != nil {
			t.Errorf("hits %v with error %v", hits, err)
		}
		return err
	}
	has(mustCode(t, "weights count", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{Fusion: quiver.MultiWeighted, Weights: []float32{1}}), quiver.ErrInvalidArgument),
		"1 weights for 2 queries")
	has(mustCode(t, "no weights", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{Fusion: quiver.MultiWeighted}), quiver.ErrInvalidArgument),
		"0 weights for 2 queries")
	has(mustCode(t, "negative weight", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{Fusion: quiver.MultiWeighted, Weights: []float32{1, -1}}), quiver.ErrInvalidArgument),
		"weight")
	has(mustCode(t, "weights without MultiWeighted", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{Fusion: quiver.MultiAverage, Weights: []float32{1, 1}}), quiver.ErrInvalidArgument),
		"MultiQueryParams.Weights", "average")
	has(mustCode(t, "candidates below k", multi(two, quiver.SearchOptions{K: 5}, quiver.MultiQueryParams{Candidates: 2}), quiver.ErrInvalidArgument),
		"candidates is 2")
	has(mustCode(t, "candidates -1", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{Candidates: -1}), quiver.ErrInvalidArgument),
		"MultiQueryParams.Candidates is -1")
	has(mustCode(t, "multi fusion 7", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{Fusion: 7}), quiver.ErrInvalidArgument),
		"fusion is 7")
	mustCode(t, "multi rrf_k -1", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{RRFK: -1}), quiver.ErrInvalidArgument)
	has(mustCode(t, "no queries", multi(nil, quiver.SearchOptions{}, quiver.MultiQueryParams{}), quiver.ErrInvalidArgument), "nq is 0")
	mustCode(t, "wrong dimension", multi([][]float32{q[:3], q[1:4]}, quiver.SearchOptions{}, quiver.MultiQueryParams{}), quiver.ErrDimensionMismatch)
	mustCode(t, "ragged queries", multi([][]float32{q, q[:3]}, quiver.SearchOptions{}, quiver.MultiQueryParams{}), quiver.ErrDimensionMismatch)
	mustCode(t, "bad filter", multi(two, quiver.SearchOptions{Filter: "{"}, quiver.MultiQueryParams{}), quiver.ErrInvalidArgument)
	mustCode(t, "K -1", multi(two, quiver.SearchOptions{K: -1}, quiver.MultiQueryParams{}), quiver.ErrInvalidArgument)

	// A metadata-only collection has no dense search.
	meta := createCollection(t, db, "meta", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	if err := meta.Upsert([]uint64{1}, nil, [][]byte{[]byte(`{"body":"fish"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := meta.CreateTextIndex("body", nil); err != nil {
		t.Fatal(err)
	}
	hits, err := meta.HybridSearch(quiver.HybridParams{Branches: []quiver.HybridBranch{text}})
	if err != nil || len(hits) != 1 || hits[0].ID != 1 {
		t.Errorf("text-only hybrid search of a metadata-only collection: %v, %v", hits, err)
	}
	_, err = meta.HybridSearch(quiver.HybridParams{Branches: []quiver.HybridBranch{text, quiver.DenseBranch(nil, quiver.SearchOptions{})}})
	mustCode(t, "dense branch on a metadata-only collection", err, quiver.ErrUnsupported)
	_, err = meta.MultiQuerySearch([][]float32{{}}, quiver.SearchOptions{}, quiver.MultiQueryParams{})
	mustCode(t, "multi-query on a metadata-only collection", err, quiver.ErrUnsupported)

	c.Close()
	mustCode(t, "HybridSearch after Close", hybrid(quiver.HybridParams{Branches: both}), quiver.ErrClosed)
	mustCode(t, "MultiQuerySearch after Close", multi(two, quiver.SearchOptions{}, quiver.MultiQueryParams{}), quiver.ErrClosed)
}

// TestHybridConcurrent: hybrid and multi-query searches from several
// goroutines while points are upserted; every result is well ordered and
// holds only ids of the corpus or of the upserts.
func TestHybridConcurrent(t *testing.T) {
	db, _ := openDB(t, nil)
	c, vecs, _ := hybridCollection(t, db)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(stop)
		extra := randomVectors(99, 40, hybridDim)
		for i := range extra {
			id := uint64(1000 + i)
			if err := c.Upsert([]uint64{id}, extra[i:i+1], [][]byte{[]byte(`{"body":"fish cat tree","tag":1}`)}); err != nil {
				errs <- err
				return
			}
		}
	}()
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					if n > 0 {
						return
					}
				default:
				}
				hits, err := c.HybridSearch(quiver.HybridParams{K: 10, Fusion: quiver.Fusion(1 + (n+g)%4), WithPayload: n%2 == 0,
					Branches: []quiver.HybridBranch{
						quiver.DenseBranch(vecs[(n+g)%hybridN], quiver.SearchOptions{K: 20, Filter: quiver.Ne("tag", 2).String()}),
						quiver.TextBranch("fish cat", quiver.TextSearchParams{K: 20, Fields: []quiver.TextField{{Name: "body"}}}),
					}})
				if err == nil && len(hits) != 10 {
					err = fmt.Errorf("hybrid: %d hits", len(hits))
				}
				if err == nil {
					_, err = c.MultiQuerySearch([][]float32{vecs[n%hybridN], vecs[(n+5)%hybridN]},
						quiver.SearchOptions{K: 5}, quiver.MultiQueryParams{Fusion: quiver.MultiAverage, Candidates: 10})
				}
				if err == nil && !sort.SliceIsSorted(hits, func(a, b int) bool { return hits[a].Score > hits[b].Score }) {
					err = fmt.Errorf("hybrid hits out of order: %v", hits)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func ExampleCollection_HybridSearch() {
	dir, _ := os.MkdirTemp("", "quiver-hybrid-example-")
	defer os.RemoveAll(dir)
	db, err := quiver.Open(filepath.Join(dir, "db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	docs, err := db.CreateCollection("docs", quiver.CollectionConfig{Dimension: 2, Metric: quiver.Euclidean})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer docs.Close()
	err = docs.UpsertPoints([]quiver.Point{
		{ID: 1, Vector: []float32{0, 0}, Payload: map[string]any{"body": "blue sky"}},
		{ID: 2, Vector: []float32{1, 0}, Payload: map[string]any{"body": "red fish"}},
		{ID: 3, Vector: []float32{2, 0}, Payload: map[string]any{"body": "red fish and red boats"}},
		{ID: 4, Vector: []float32{3, 0}, Payload: map[string]any{"body": "stone"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := docs.CreateTextIndex("body", nil); err != nil {
		fmt.Println(err)
		return
	}
	// Dense ranks 1, 2, 3; text ranks 2, 3: RRF 1/(60 + rank) summed.
	hits, err := docs.HybridSearch(quiver.HybridParams{
		K: 3,
		Branches: []quiver.HybridBranch{
			quiver.DenseBranch([]float32{0.1, 0}, quiver.SearchOptions{K: 3, Exact: true}),
			quiver.TextBranch("fish", quiver.TextSearchParams{K: 3, Fields: []quiver.TextField{{Name: "body"}}}),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hits {
		fmt.Printf("%d %.4f\n", h.ID, h.Score)
	}
	// Two query vectors, each point's mean distance over the lists holding it.
	hits, err = docs.MultiQuerySearch([][]float32{{0, 0}, {2, 1}}, quiver.SearchOptions{K: 2, Exact: true},
		quiver.MultiQueryParams{Fusion: quiver.MultiAverage, Candidates: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hits {
		fmt.Printf("%d %.3f\n", h.ID, h.Score)
	}
	// Output:
	// 2 0.0325
	// 3 0.0320
	// 1 0.0164
	// 1 1.118
	// 2 1.207
}
