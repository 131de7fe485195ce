package quiver_test

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// ---- corpus ---------------------------------------------------------------------

// sparseN points 0..sparseN-1 with the vector {i, 1} (Euclidean), the
// payload {"odd": i%2} and two named sparse vectors: "a", 1 to 7 entries
// over sparseVocab indices given in random order (none for every tenth
// point), and "b", one entry (none for every third point). The first half
// goes through UpsertPoints and is sealed by Optimize, the second half
// through UpsertSparse into the appendable segment.
const (
	sparseN     = 300
	sparseVocab = 40
)

// sparseModel is what the collection should hold: name -> id -> vector,
// sorted by index (points without a vector of the name are absent).
type sparseModel map[string]map[uint64]quiver.SparseVector

// sortedSparse returns v sorted by index (a copy).
func sortedSparse(v quiver.SparseVector) quiver.SparseVector {
	order := make([]int, len(v.Indices))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return v.Indices[order[a]] < v.Indices[order[b]] })
	out := quiver.SparseVector{Indices: make([]uint32, len(order)), Values: make([]float32, len(order))}
	for j, i := range order {
		out.Indices[j] = v.Indices[i]
		out.Values[j] = v.Values[i]
	}
	return out
}

// randomSparse returns up to n entries over sparseVocab indices in random
// order, no index twice, values in [lo, lo+width) and never 0.
func randomSparse(rng *rand.Rand, n int, lo, width float32) quiver.SparseVector {
	var v quiver.SparseVector
	for _, ix := range rng.Perm(sparseVocab)[:n] {
		x := lo + rng.Float32()*width
		if x == 0 {
			x = 0.5
		}
		v.Indices = append(v.Indices, uint32(ix))
		v.Values = append(v.Values, x)
	}
	return v
}

func oddPayload(i int) []byte { return []byte(fmt.Sprintf(`{"odd":%d}`, i%2)) }

// sparseCollection creates the corpus and returns it with its model.
func sparseCollection(t *testing.T, db *quiver.DB) (*quiver.Collection, sparseModel) {
	t.Helper()
	c := createCollection(t, db, "s", quiver.CollectionConfig{Dimension: 2, Metric: quiver.Euclidean})
	rng := rand.New(rand.NewSource(11))
	model := sparseModel{"a": {}, "b": {}}
	a := make([]quiver.SparseVector, sparseN)
	b := make([]quiver.SparseVector, sparseN)
	for i := 0; i < sparseN; i++ {
		if i%10 != 0 {
			a[i] = randomSparse(rng, 1+rng.Intn(7), -1, 4)
			model["a"][uint64(i)] = sortedSparse(a[i])
		}
		if i%3 != 0 {
			b[i] = quiver.SparseVector{Indices: []uint32{uint32(i % 7)}, Values: []float32{float32(i%5 + 1)}}
			model["b"][uint64(i)] = b[i]
		}
	}
	h := sparseN / 2
	points := make([]quiver.Point, h)
	for i := range points {
		points[i] = quiver.Point{ID: uint64(i), Vector: []float32{float32(i), 1}, Payload: oddPayload(i),
			Sparse: map[string]quiver.SparseVector{}}
		if len(a[i].Indices) > 0 {
			points[i].Sparse["a"] = a[i]
		}
		if len(b[i].Indices) > 0 {
			points[i].Sparse["b"] = b[i]
		}
	}
	if err := c.UpsertPoints(points); err != nil {
		t.Fatalf("UpsertPoints: %v", err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	ids := seq(h, sparseN-h)
	vecs := make([][]float32, len(ids))
	payloads := make([][]byte, len(ids))
	for j, id := range ids {
		vecs[j] = []float32{float32(id), 1}
		payloads[j] = oddPayload(int(id))
	}
	if err := c.UpsertSparse(ids, vecs, payloads, map[string][]quiver.SparseVector{"a": a[h:], "b": b[h:]}); err != nil {
		t.Fatalf("UpsertSparse: %v", err)
	}
	if err := c.WaitOptimized(); err != nil {
		t.Fatal(err)
	}
	return c, model
}

// ---- checks against the model ---------------------------------------------------------

// bruteSparse is the exact sparse search written out: every point whose
// vector shares an index with q (and that keep accepts) scores the sum of
// the products of the shared indices in ascending index order, in float32;
// best first, equal scores by ascending id, at most k.
func bruteSparse(vectors map[uint64]quiver.SparseVector, q quiver.SparseVector, k int, keep func(uint64) bool) []quiver.Hit {
	qs := sortedSparse(q)
	var hits []quiver.Hit
	for id, v := range vectors {
		if keep != nil && !keep(id) {
			continue
		}
		var s float32
		shared := false
		for i, j := 0, 0; i < len(v.Indices) && j < len(qs.Indices); {
			switch {
			case v.Indices[i] < qs.Indices[j]:
				i++
			case v.Indices[i] > qs.Indices[j]:
				j++
			default:
				s += float32(v.Values[i] * qs.Values[j]) // the conversion keeps it from fusing into an FMA
				shared = true
				i++
				j++
			}
		}
		if shared {
			hits = append(hits, quiver.Hit{ID: id, Score: s})
		}
	}
	sort.Slice(hits, func(a, b int) bool {
		if hits[a].Score != hits[b].Score {
			return hits[a].Score > hits[b].Score
		}
		return hits[a].ID < hits[b].ID
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// checkSparseGet reads every point's vectors of each name (and an id that
// does not exist) and compares them with the model: sorted by index,
// empty when there is none.
func checkSparseGet(t *testing.T, c *quiver.Collection, model sparseModel, what string) {
	t.Helper()
	ids := append(seq(0, sparseN), 12345)
	for name, vectors := range model {
		got, err := c.GetSparse(ids, name)
		if err != nil {
			t.Fatalf("%s: GetSparse(%q): %v", what, name, err)
		}
		if len(got) != len(ids) {
			t.Fatalf("%s: GetSparse(%q): %d vectors for %d ids", what, name, len(got), len(ids))
		}
		for j, id := range ids {
			want := vectors[id]
			if !slices.Equal(got[j].Indices, want.Indices) || !slices.Equal(got[j].Values, want.Values) {
				t.Fatalf("%s: GetSparse(%q) of point %d = %+v, want %+v", what, name, id, got[j], want)
			}
			if got[j].Len() == 0 && (got[j].Indices != nil || got[j].Values != nil) {
				t.Errorf("%s: GetSparse(%q) of point %d: an empty vector with non-nil slices", what, name, id)
			}
		}
	}
}

// checkSparseSearches runs searches of name "a" with random queries (k 1 to
// 34, odd rounds filtered to odd ids, one round with payloads) and
// compares each with bruteSparse: the same ids and bit-equal scores.
func checkSparseSearches(t *testing.T, c *quiver.Collection, model sparseModel, what string) {
	t.Helper()
	rng := rand.New(rand.NewSource(99))
	odd := func(id uint64) bool { return id%2 == 1 }
	for round := 0; round < 12; round++ {
		q := randomSparse(rng, 1+rng.Intn(6), 0, 2)
		p := quiver.SparseSearchParams{K: 1 + 3*round, WithPayload: round == 5}
		var keep func(uint64) bool
		if round%2 == 1 {
			p.Filter = quiver.Eq("odd", 1).String()
			keep = odd
		}
		r := fmt.Sprintf("%s: round %d (query %v, k %d, filter %q)", what, round, q, p.K, p.Filter)
		hits, err := c.SparseSearch("a", q, p)
		if err != nil {
			t.Fatalf("%s: SparseSearch: %v", r, err)
		}
		want := bruteSparse(model["a"], q, p.K, keep)
		if len(want) == 0 {
			t.Fatalf("%s: the test expects no hit", r)
		}
		if !sameHits(hits, want) {
			t.Fatalf("%s:\n got  %v\n want %v", r, hits, want)
		}
		for _, h := range hits {
			switch {
			case p.WithPayload && string(h.Payload) != string(oddPayload(int(h.ID))):
				t.Fatalf("%s: payload of %d is %q", r, h.ID, h.Payload)
			case !p.WithPayload && h.Payload != nil:
				t.Fatalf("%s: a payload without WithPayload", r)
			}
		}
	}
}

// ---- tests ----------------------------------------------------------------------

// TestSparseTypes: the constructor and names of the sparse branch.
func TestSparseTypes(t *testing.T) {
	q := quiver.SparseVector{Indices: []uint32{3, 1}, Values: []float32{0.5, 2}}
	p := quiver.SparseSearchParams{K: 7, Filter: `{"field": "odd", "eq": 1}`}
	b := quiver.SparseBranch("splade", q, p)
	if b.Kind != quiver.BranchSparse || b.SparseName != "splade" || !slices.Equal(b.SparseQuery.Indices, q.Indices) ||
		!slices.Equal(b.SparseQuery.Values, q.Values) || b.Sparse != p || b.Weight != 0 || b.Vector != nil || b.Query != "" {
		t.Errorf("SparseBranch: %+v", b)
	}
	if got := quiver.BranchSparse.String(); got != "sparse" {
		t.Errorf("BranchSparse.String() = %q", got)
	}
	if q.Len() != 2 || (quiver.SparseVector{}).Len() != 0 {
		t.Errorf("Len: %d, %d", q.Len(), (quiver.SparseVector{}).Len())
	}
}

// TestSparseUpsertGetSearch: two names upserted through UpsertPoints and
// UpsertSparse read back sorted; exact search equal to a brute-force dot
// product, with and without a filter, over a sealed and an appendable
// segment; UpdateSparse; all of it again after closing and reopening the
// database, and after an optimize.
func TestSparseUpsertGetSearch(t *testing.T) {
	db, dir := openDB(t, nil)
	c, model := sparseCollection(t, db)
	if n, err := c.Count(); err != nil || n != sparseN {
		t.Fatalf("Count = %d, %v", n, err)
	}
	checkSparseGet(t, c, model, "after upsert")
	checkSparseSearches(t, c, model, "after upsert")

	// Name "b": every point with index 3 in "b" scores its value × 2.
	hits, err := c.SparseSearch("b", quiver.SparseVector{Indices: []uint32{3}, Values: []float32{2}}, quiver.SparseSearchParams{K: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteSparse(model["b"], quiver.SparseVector{Indices: []uint32{3}, Values: []float32{2}}, 1000, nil); !sameHits(hits, want) {
		t.Fatalf("search of b: %v, want %v", hits, want)
	}
	// A name no point carries, an empty query: no hits, no error.
	for _, tc := range []struct {
		name string
		q    quiver.SparseVector
	}{{"nobody", quiver.SparseVector{Indices: []uint32{1}, Values: []float32{1}}}, {"a", quiver.SparseVector{}}} {
		if hits, err := c.SparseSearch(tc.name, tc.q, quiver.SparseSearchParams{}); err != nil || len(hits) != 0 {
			t.Errorf("SparseSearch(%q, %v) = %v, %v; want no hits", tc.name, tc.q, hits, err)
		}
	}
	// Empty batches.
	if got, err := c.GetSparse(nil, "a"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("GetSparse(nil) = %v, %v", got, err)
	}
	if n, err := c.UpdateSparse(nil, "a", nil); err != nil || n != 0 {
		t.Errorf("UpdateSparse(nil) = %d, %v", n, err)
	}
	if err := c.UpsertSparse(nil, nil, nil, map[string][]quiver.SparseVector{"a": nil}); err != nil {
		t.Errorf("UpsertSparse(nil): %v", err)
	}
	// K 0 is the default, 10.
	if hits, err := c.SparseSearch("a", quiver.SparseVector{Indices: []uint32{1, 2, 3, 4, 5}, Values: []float32{1, 1, 1, 1, 1}},
		quiver.SparseSearchParams{}); err != nil || len(hits) != 10 {
		t.Errorf("SparseSearch with K 0: %d hits, %v; want 10", len(hits), err)
	}

	// UpdateSparse: 1 gets a new "a" (given unsorted), 2 loses it, 999
	// does not exist, 3 is given twice (the last, a removal, wins), 5
	// gets a third name. Dense vectors, payloads and "b" stay.
	ids := []uint64{1, 2, 999, 3, 3}
	rows := []quiver.SparseVector{
		{Indices: []uint32{7, 3}, Values: []float32{0.5, 2}},
		{},
		{Indices: []uint32{1}, Values: []float32{1}},
		{Indices: []uint32{9}, Values: []float32{4}},
		{Indices: nil, Values: nil},
	}
	n, err := c.UpdateSparse(ids, "a", rows)
	if err != nil || n != 3 {
		t.Fatalf("UpdateSparse = %d, %v; want 3 points updated", n, err)
	}
	model["a"][1] = quiver.SparseVector{Indices: []uint32{3, 7}, Values: []float32{2, 0.5}}
	delete(model["a"], 2)
	delete(model["a"], 3)
	if n, err := c.UpdateSparse([]uint64{5}, "c", []quiver.SparseVector{{Indices: []uint32{2, 1}, Values: []float32{-1, 1}}}); err != nil || n != 1 {
		t.Fatalf("UpdateSparse of c = %d, %v", n, err)
	}
	model["c"] = map[uint64]quiver.SparseVector{5: {Indices: []uint32{1, 2}, Values: []float32{1, -1}}}
	recs, err := c.Get(1, 2, 3, 5, 999)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[:4] {
		if !r.Found || !slices.Equal(r.Vector, []float32{float32(r.ID), 1}) || string(r.Payload) != string(oddPayload(int(r.ID))) {
			t.Errorf("after UpdateSparse: Get(%d) = %+v", r.ID, r)
		}
	}
	if recs[4].Found {
		t.Errorf("UpdateSparse created point 999")
	}
	checkSparseGet(t, c, model, "after update")
	checkSparseSearches(t, c, model, "after update")
	// Point 1 is found by its new indices, with its new score.
	hits, err = c.SparseSearch("a", quiver.SparseVector{Indices: []uint32{7, 3}, Values: []float32{1, 1}}, quiver.SparseSearchParams{K: sparseN})
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteSparse(model["a"], quiver.SparseVector{Indices: []uint32{7, 3}, Values: []float32{1, 1}}, sparseN, nil); !sameHits(hits, want) ||
		!slices.ContainsFunc(hits, func(h quiver.Hit) bool { return h.ID == 1 && h.Score == 2.5 }) {
		t.Fatalf("search after update: %v, want %v with point 1 at 2.5", hits, want)
	}

	// Everything survives closing and reopening, and an optimize.
	if err := c.Close(); err != nil {
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
	c2, err := db2.OpenCollection("s")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	checkSparseGet(t, c2, model, "after reopen")
	checkSparseSearches(t, c2, model, "after reopen")
	if err := c2.Optimize(); err != nil {
		t.Fatal(err)
	}
	checkSparseGet(t, c2, model, "after reopen and optimize")
	checkSparseSearches(t, c2, model, "after reopen and optimize")
}

// TestSparseHybridBranch: a hybrid search with a single sparse branch
// keeps the sparse order (with and without a filter), and a dense and a
// sparse branch fuse by RRF as computed in the test.
func TestSparseHybridBranch(t *testing.T) {
	db, _ := openDB(t, nil)
	c, _ := sparseCollection(t, db)
	q := quiver.SparseVector{Indices: []uint32{7, 3, 12}, Values: []float32{1, 1, 0.5}}
	for _, p := range []quiver.SparseSearchParams{{K: 20}, {K: 8, Filter: quiver.Eq("odd", 1).String()}} {
		alone, err := c.SparseSearch("a", q, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(alone) != p.K {
			t.Fatalf("SparseSearch %+v: %d hits, want %d", p, len(alone), p.K)
		}
		fused := mustHybrid(t, c, "sparse branch", quiver.HybridParams{K: p.K, WithPayload: true,
			Branches: []quiver.HybridBranch{quiver.SparseBranch("a", q, p)}})
		if !slices.Equal(hitIDs(fused), hitIDs(alone)) {
			t.Fatalf("single sparse branch %+v: %v, want the order of %v", p, hitIDs(fused), hitIDs(alone))
		}
		checkOrder(t, "single sparse branch", fused, true)
		for _, h := range fused {
			if string(h.Payload) != string(oddPayload(int(h.ID))) {
				t.Fatalf("single sparse branch: payload of %d is %q", h.ID, h.Payload)
			}
		}
	}

	// Dense and sparse, RRF (weights 1 and 2).
	dq := []float32{150.3, 1}
	dHits := mustSearch(t, c, dq, quiver.SearchOptions{K: 30, Exact: true})
	sHits, err := c.SparseSearch("a", q, quiver.SparseSearchParams{K: 30})
	if err != nil {
		t.Fatal(err)
	}
	sb := quiver.SparseBranch("a", q, quiver.SparseSearchParams{K: 30})
	sb.Weight = 2
	hits := mustHybrid(t, c, "dense + sparse", quiver.HybridParams{K: 15, Branches: []quiver.HybridBranch{
		quiver.DenseBranch(dq, quiver.SearchOptions{K: 30, Exact: true}), sb}})
	want := fuseInTest(quiver.FusionRRF, 60, []testBranch{{dHits, 1, false}, {sHits, 2, true}})
	checkRanking(t, "dense + sparse", hits, want, 15, nil)
	checkOrder(t, "dense + sparse", hits, true)
}

// sparseState is everything TestSparseErrors checks is unchanged.
type sparseState struct {
	count int
	a, b  []quiver.SparseVector
	recs  []quiver.Record
	hits  []quiver.Hit
}

func readSparseState(t *testing.T, c *quiver.Collection) sparseState {
	t.Helper()
	var s sparseState
	var err error
	ids := seq(0, 12)
	if s.count, err = c.Count(); err != nil {
		t.Fatal(err)
	}
	if s.a, err = c.GetSparse(ids, "a"); err != nil {
		t.Fatal(err)
	}
	if s.b, err = c.GetSparse(ids, "b"); err != nil {
		t.Fatal(err)
	}
	if s.recs, err = c.Get(ids...); err != nil {
		t.Fatal(err)
	}
	if s.hits, err = c.SparseSearch("a", quiver.SparseVector{Indices: []uint32{1, 2, 3, 4}, Values: []float32{1, 1, 1, 1}},
		quiver.SparseSearchParams{K: 100}); err != nil {
		t.Fatal(err)
	}
	return s
}

func sameSparse(a, b []quiver.SparseVector) bool {
	return slices.EqualFunc(a, b, func(x, y quiver.SparseVector) bool {
		return slices.Equal(x.Indices, y.Indices) && slices.Equal(x.Values, y.Values)
	})
}

func (s sparseState) equal(o sparseState) bool {
	return s.count == o.count && sameSparse(s.a, o.a) && sameSparse(s.b, o.b) && sameHits(s.hits, o.hits) &&
		slices.EqualFunc(s.recs, o.recs, func(x, y quiver.Record) bool {
			return x.ID == y.ID && x.Found == y.Found && slices.Equal(x.Vector, y.Vector) && string(x.Payload) == string(y.Payload)
		})
}

// TestSparseErrors: an index given twice, a value that is not finite, a
// bad name, K out of range, lengths that disagree: ErrInvalidArgument with
// a message saying so, and nothing changes.
func TestSparseErrors(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "e", quiver.CollectionConfig{Dimension: 2})
	const n = 10
	points := make([]quiver.Point, n)
	for i := range points {
		points[i] = quiver.Point{ID: uint64(i), Vector: []float32{float32(i), 1}, Payload: oddPayload(i),
			Sparse: map[string]quiver.SparseVector{
				"a": {Indices: []uint32{uint32(i % 5), uint32(i%5 + 1)}, Values: []float32{1, float32(i)}},
				"b": {Indices: []uint32{uint32(i)}, Values: []float32{2}},
			}}
	}
	if err := c.UpsertPoints(points); err != nil {
		t.Fatal(err)
	}
	before := readSparseState(t, c)
	if before.count != n || before.a[3].Len() != 2 || before.b[3].Len() != 1 || len(before.hits) == 0 {
		t.Fatalf("setup: %+v", before)
	}

	dup := quiver.SparseVector{Indices: []uint32{4, 1, 4}, Values: []float32{1, 2, 3}}
	nan := quiver.SparseVector{Indices: []uint32{1, 2}, Values: []float32{1, float32(math.NaN())}}
	inf := quiver.SparseVector{Indices: []uint32{1}, Values: []float32{float32(math.Inf(-1))}}
	huge := quiver.SparseVector{Indices: []uint32{1, 2}, Values: []float32{1e30, 1e30}}
	short := quiver.SparseVector{Indices: []uint32{1, 2}, Values: []float32{1}}
	good := quiver.SparseVector{Indices: []uint32{8}, Values: []float32{5}}
	// An upsert of points 3 and a new 77: point 3 with v under name.
	upsert := func(name string, v quiver.SparseVector) error {
		return c.UpsertPoints([]quiver.Point{
			{ID: 77, Vector: []float32{7, 7}, Sparse: map[string]quiver.SparseVector{"a": good}},
			{ID: 3, Vector: []float32{3, 3}, Sparse: map[string]quiver.SparseVector{name: v, "b": good}},
		})
	}
	upsertCols := func(name string, v quiver.SparseVector) error {
		return c.UpsertSparse([]uint64{77, 3}, [][]float32{{7, 7}, {3, 3}}, nil,
			map[string][]quiver.SparseVector{name: {good, v}})
	}
	update := func(name string, v quiver.SparseVector) error {
		_, err := c.UpdateSparse([]uint64{3, 4}, name, []quiver.SparseVector{good, v})
		return err
	}
	search := func(name string, v quiver.SparseVector) error {
		_, err := c.SparseSearch(name, v, quiver.SparseSearchParams{})
		return err
	}
	hybrid := func(name string, v quiver.SparseVector) error {
		_, err := c.HybridSearch(quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.SparseBranch(name, v, quiver.SparseSearchParams{})}})
		return err
	}
	names := map[string]string{"upsert": "UpsertPoints", "upsertCols": "UpsertSparse", "update": "UpdateSparse", "search": "SparseSearch", "hybrid": "HybridSearch"}
	calls := map[string]func(string, quiver.SparseVector) error{"upsert": upsert, "upsertCols": upsertCols, "update": update, "search": search, "hybrid": hybrid}
	all := []string{"upsert", "upsertCols", "update", "search", "hybrid"}

	check := func(what string, err error, parts ...string) {
		t.Helper()
		e := mustCode(t, what, err, quiver.ErrInvalidArgument)
		for _, p := range parts {
			if !strings.Contains(e.Message, p) {
				t.Errorf("%s: message %q does not have %q", what, e.Message, p)
			}
		}
		if after := readSparseState(t, c); !after.equal(before) {
			t.Fatalf("%s changed the collection:\n before %+v\n after  %+v", what, before, after)
		}
	}
	cases := []struct {
		what  string
		name  string
		v     quiver.SparseVector
		calls []string
		parts []string
	}{
		{"index given twice", "a", dup, all, []string{"index 4 is given twice"}},
		{"NaN value", "a", nan, all, []string{"is not finite"}},
		{"-Inf value", "a", inf, all, []string{"is not finite"}},
		{"squares overflow", "a", huge, all, []string{"sum of the squared values is not finite"}},
		{"empty name", "", good, all, []string{`sparse vector name "" has 0 bytes`}},
		{"name with a control character", "a\nb", good, all, []string{"control character"}},
		{"name of 257 bytes", strings.Repeat("n", 257), good, all, []string{"has 257 bytes"}},
		{"indices and values of different lengths", "a", short, all, []string{"2 indices and 1 values"}},
	}
	for _, tc := range cases {
		for _, call := range tc.calls {
			what := fmt.Sprintf("%s: %s", names[call], tc.what)
			parts := tc.parts
			// The library's message names the branch (lengths that differ
			// are the binding's, which names HybridParams.Branches[0]).
			if call == "hybrid" && len(tc.v.Indices) == len(tc.v.Values) {
				parts = append(slices.Clone(parts), "branches[0]")
			}
			check(what, calls[call](tc.name, tc.v), parts...)
		}
	}
	// The point and batch index are named.
	check("UpsertPoints: index given twice names the point", upsert("a", dup), "point 3 (batch index 1)")
	check("UpdateSparse: index given twice names the point", update("a", dup), "point 4 (batch index 1)")

	// GetSparse checks the name too.
	for _, name := range []string{"", "a\x00"} {
		_, err := c.GetSparse([]uint64{1}, name)
		check(fmt.Sprintf("GetSparse(%q)", name), err, "sparse vector name")
	}

	// K out of range (0 is the default, 10).
	_, err := c.SparseSearch("a", good, quiver.SparseSearchParams{K: -1})
	check("K -1", err, "SparseSearchParams.K is -1")
	_, err = c.SparseSearch("a", good, quiver.SparseSearchParams{K: 100001})
	check("K 100001", err, "k is 100001")
	_, err = c.HybridSearch(quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.SparseBranch("a", good, quiver.SparseSearchParams{K: -1})}})
	check("branch K -1", err, "Branches[0].Sparse.K is -1")
	_, err = c.HybridSearch(quiver.HybridParams{Branches: []quiver.HybridBranch{quiver.SparseBranch("a", good, quiver.SparseSearchParams{K: 100001})}})
	check("branch K 100001", err, "branches[0]", "k is 100001")
	_, err = c.SparseSearch("a", good, quiver.SparseSearchParams{Filter: `{"field": "odd", "eq": }`})
	check("bad filter", err)

	// Lengths that disagree.
	_, err = c.UpdateSparse([]uint64{1, 2}, "a", []quiver.SparseVector{good})
	check("UpdateSparse with 2 ids and 1 vector", err, "2 ids but 1 sparse vectors")
	err = c.UpsertSparse([]uint64{77, 78}, [][]float32{{7, 7}, {8, 8}}, nil, map[string][]quiver.SparseVector{"a": {good}})
	check("UpsertSparse with 2 ids and 1 vector", err, `2 ids but 1 sparse vectors named "a"`)
	err = c.UpsertSparse([]uint64{77, 78}, [][]float32{{7, 7}}, nil, map[string][]quiver.SparseVector{"a": {good, good}})
	check("UpsertSparse with 2 ids and 1 dense vector", err, "2 ids but 1 vectors")

	// More than 64 sparse vectors on a point.
	many := map[string]quiver.SparseVector{}
	for i := 0; i < 65; i++ {
		many[fmt.Sprintf("n%02d", i)] = good
	}
	check("65 sparse vectors", c.UpsertPoints([]quiver.Point{{ID: 3, Vector: []float32{3, 3}, Sparse: many}}), "at most 64")

	// A closed handle.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"SparseSearch": search("a", good),
		"GetSparse":    func() error { _, err := c.GetSparse([]uint64{1}, "a"); return err }(),
		"UpdateSparse": update("a", good),
		"UpsertSparse": upsertCols("a", good),
	} {
		mustCode(t, what+" on a closed handle", err, quiver.ErrClosed)
	}
}
