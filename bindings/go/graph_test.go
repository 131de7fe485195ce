package quiver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// ---- the test graph ---------------------------------------------------------------

// graphN points 0..graphN-1 of dimension 4 with the payload {"group": i%3,
// "odd": i%2}; edges only between the first graphLinked of them (the rest
// are isolated). graphEdges edges with ids drawn at random (so ascending id
// order is not the order they are added in), labels a, b, c, weights among
// graphWeights (ExactZero included), some self loops, some parallel edges,
// some with properties.
const (
	graphN      = 48
	graphLinked = 44
	graphEdges  = 170
	graphDim    = 4
)

var graphWeights = []float32{1, 0.5, 2, 3.25, quiver.ExactZero, 1.5, 0.125}

func graphPayload(i int) map[string]any { return map[string]any{"group": i % 3, "odd": i % 2} }

// refGraph is the model: the edges by id and the points' vectors.
type refGraph struct {
	edges   map[uint64]quiver.Edge
	vectors map[uint64][]float32
}

func (g *refGraph) sortedEdges(keep func(quiver.Edge) bool) []quiver.Edge {
	var out []quiver.Edge
	for _, e := range g.edges {
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// randomGraphEdges returns the test graph's edges in the order they are
// added (not by id).
func randomGraphEdges(seed int64) []quiver.Edge {
	rng := rand.New(rand.NewSource(seed))
	ids := rng.Perm(10 * graphEdges)
	labels := []string{"a", "a", "b", "c", "b", "a"}
	edges := make([]quiver.Edge, 0, graphEdges)
	for i := 0; i < graphEdges; i++ {
		e := quiver.Edge{
			ID:     uint64(ids[i] + 1),
			Source: uint64(rng.Intn(graphLinked)),
			Target: uint64(rng.Intn(graphLinked)),
			Label:  labels[rng.Intn(len(labels))],
			Weight: graphWeights[rng.Intn(len(graphWeights))],
		}
		switch {
		case i%15 == 7: // a self loop
			e.Target = e.Source
		case i%11 == 5 && i > 0: // parallel to the previous edge
			e.Source, e.Target = edges[i-1].Source, edges[i-1].Target
		}
		if i%9 == 0 {
			e.Properties = []byte(fmt.Sprintf(`{ "n": %d,  "note": "é\u00e9 \"q\"", "list": [1, 2.50, {}] }`, i))
		}
		edges = append(edges, e)
	}
	return edges
}

// graphCollection creates the test graph in a collection of metric m.
func graphCollection(t *testing.T, db *quiver.DB, name string, m quiver.Metric) (*quiver.Collection, *refGraph) {
	t.Helper()
	c := createCollection(t, db, name, quiver.CollectionConfig{Dimension: graphDim, Metric: m})
	g := &refGraph{edges: map[uint64]quiver.Edge{}, vectors: map[uint64][]float32{}}
	vecs := randomVectors(23, graphN, graphDim)
	points := make([]quiver.Point, graphN)
	for i := range points {
		points[i] = quiver.Point{ID: uint64(i), Vector: vecs[i], Payload: graphPayload(i)}
		g.vectors[uint64(i)] = vecs[i]
	}
	// The first half sealed, the rest in the appendable segment.
	if err := c.UpsertPoints(points[:graphN/2]); err != nil {
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertPoints(points[graphN/2:]); err != nil {
		t.Fatal(err)
	}
	edges := randomGraphEdges(5)
	for lo := 0; lo < len(edges); lo += 40 {
		batch := edges[lo:min(lo+40, len(edges))]
		if err := c.AddEdges(batch...); err != nil {
			t.Fatalf("AddEdges: %v", err)
		}
		for _, e := range batch {
			g.edges[e.ID] = e
		}
	}
	return c, g
}

// ---- reference traversals -----------------------------------------------------------

type refStep struct {
	edge, point uint64
	label       string
	weight      float64
}

// steps returns the hops out of p along dir, by ascending edge id, keeping
// the labels in allowed (all when empty); a self loop once.
func (g *refGraph) steps(p uint64, dir quiver.Direction, allowed []string) []refStep {
	var out []refStep
	for _, e := range g.edges {
		if len(allowed) > 0 && !slices.Contains(allowed, e.Label) {
			continue
		}
		w := float64(e.Weight)
		switch {
		case dir != quiver.DirectionIn && e.Source == p:
			out = append(out, refStep{e.ID, e.Target, e.Label, w})
		case dir != quiver.DirectionOut && e.Target == p:
			out = append(out, refStep{e.ID, e.Source, e.Label, w})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].edge < out[b].edge })
	return out
}

// refTraverse is the traversal written from its specification: starts in
// order (a repeated one once) at depth 0; BFS level by level, DFS preorder,
// neighbours by ascending edge id, each point once; a point reached by a
// hop that accept refuses is neither returned nor walked through; points
// below the least depth are walked through but not returned; the result
// is cut at the limit.
func (g *refGraph) traverse(starts []uint64, o quiver.TraverseOptions, accept func(uint64) bool) []quiver.Visit {
	minD, maxD, limit := o.MinDepth, o.MaxDepth, o.Limit
	if o.IncludeStarts {
		minD = 0
	} else if minD == 0 {
		minD = 1
	}
	if maxD == 0 {
		maxD = 1
	}
	if limit == 0 {
		limit = 1000
	}
	hop := func(h int) []string {
		if h-1 < len(o.HopLabels) && len(o.HopLabels[h-1]) > 0 {
			return o.HopLabels[h-1]
		}
		return o.Labels
	}
	seen := map[uint64]quiver.Visit{}
	rejected := map[uint64]bool{}
	var out []quiver.Visit
	// reach records q reached from p by s; false when it is not new or not
	// accepted.
	reach := func(p quiver.Visit, s refStep) (quiver.Visit, bool) {
		if _, ok := seen[s.point]; ok || rejected[s.point] {
			return quiver.Visit{}, false
		}
		if accept != nil && !accept(s.point) {
			rejected[s.point] = true
			return quiver.Visit{}, false
		}
		v := quiver.Visit{ID: s.point, Origin: p.Origin, Depth: p.Depth + 1,
			Path: append(slices.Clone(p.Path), s.edge)}
		seen[s.point] = v
		if v.Depth >= minD {
			out = append(out, v)
		}
		return v, true
	}
	start := func(s uint64) (quiver.Visit, bool) {
		if _, ok := seen[s]; ok {
			return quiver.Visit{}, false
		}
		v := quiver.Visit{ID: s, Origin: s}
		seen[s] = v
		if minD == 0 {
			out = append(out, v)
		}
		return v, true
	}
	if o.Order == quiver.BFS {
		var queue []quiver.Visit
		for _, s := range starts {
			if v, ok := start(s); ok {
				queue = append(queue, v)
			}
		}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if p.Depth >= maxD {
				continue
			}
			for _, s := range g.steps(p.ID, o.Direction, hop(p.Depth+1)) {
				if v, ok := reach(p, s); ok {
					queue = append(queue, v)
				}
			}
		}
	} else {
		var dfs func(p quiver.Visit)
		dfs = func(p quiver.Visit) {
			if p.Depth >= maxD {
				return
			}
			for _, s := range g.steps(p.ID, o.Direction, hop(p.Depth+1)) {
				if v, ok := reach(p, s); ok {
					dfs(v)
				}
			}
		}
		for _, s := range starts {
			if v, ok := start(s); ok {
				dfs(v)
			}
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// refDistances returns the fewest hops from `from` to every point it
// reaches (BFS), and the least total weight (Dijkstra).
func (g *refGraph) distances(from uint64, dir quiver.Direction, labels []string) (hops map[uint64]int, cost map[uint64]float64) {
	hops = map[uint64]int{from: 0}
	queue := []uint64{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, s := range g.steps(p, dir, labels) {
			if _, ok := hops[s.point]; !ok {
				hops[s.point] = hops[p] + 1
				queue = append(queue, s.point)
			}
		}
	}
	cost = map[uint64]float64{from: 0}
	done := map[uint64]bool{}
	for {
		best, found := uint64(0), false
		for p, c := range cost {
			if !done[p] && (!found || c < cost[best]) {
				best, found = p, true
			}
		}
		if !found {
			break
		}
		done[best] = true
		for _, s := range g.steps(best, dir, labels) {
			if c, ok := cost[s.point]; !ok || cost[best]+s.weight < c {
				cost[s.point] = cost[best] + s.weight
			}
		}
	}
	return hops, cost
}

// checkPath checks that p is a path from `from` to `to` along dir and
// labels and returns the sum of its edges' weights, from the first edge.
func (g *refGraph) checkPath(t *testing.T, what string, p *quiver.Path, from, to uint64, dir quiver.Direction, labels []string) float64 {
	t.Helper()
	if len(p.Points) == 0 || p.Points[0] != from || p.Points[len(p.Points)-1] != to {
		t.Fatalf("%s: points %v do not go from %d to %d", what, p.Points, from, to)
	}
	if len(p.Edges) != len(p.Points)-1 {
		t.Fatalf("%s: %d points but %d edges", what, len(p.Points), len(p.Edges))
	}
	sum := 0.0
	for i, id := range p.Edges {
		e, ok := g.edges[id]
		if !ok {
			t.Fatalf("%s: edge %d does not exist", what, id)
		}
		if len(labels) > 0 && !slices.Contains(labels, e.Label) {
			t.Fatalf("%s: edge %d has label %q, not one of %v", what, id, e.Label, labels)
		}
		a, b := p.Points[i], p.Points[i+1]
		fwd, back := e.Source == a && e.Target == b, e.Target == a && e.Source == b
		if (dir == quiver.DirectionOut && !fwd) || (dir == quiver.DirectionIn && !back) || (dir == quiver.DirectionBoth && !fwd && !back) {
			t.Fatalf("%s: edge %d (%d -> %d) does not lead from %d to %d going %v", what, id, e.Source, e.Target, a, b, dir)
		}
		sum += float64(e.Weight)
	}
	return sum
}

// ---- comparisons ----------------------------------------------------------------------

func collect(t *testing.T, what string, vs *quiver.Visits, err error) []quiver.Visit {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	out, err := vs.Collect()
	if err != nil {
		t.Fatalf("%s: Collect: %v", what, err)
	}
	return out
}

func visitString(v quiver.Visit) string {
	s := fmt.Sprintf("%d(d%d from %d via %v)", v.ID, v.Depth, v.Origin, v.Path)
	if v.HasScore {
		s += fmt.Sprintf(" score %g", v.Score)
	}
	return s
}

func visitsString(vs []quiver.Visit) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = visitString(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// sameVisits compares ids, depths, origins and paths (and scores when
// withScores), in order.
func sameVisits(t *testing.T, what string, got, want []quiver.Visit, withScores bool) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.ID == w.ID && g.Depth == w.Depth && g.Origin == w.Origin && slices.Equal(g.Path, w.Path) &&
			len(g.Path) == g.Depth && (g.Depth > 0 || g.Path == nil)
		if withScores {
			ok = ok && g.HasScore == w.HasScore && g.Score == w.Score
		} else {
			ok = ok && !g.HasScore
		}
	}
	if !ok {
		t.Fatalf("%s:\n got %s\nwant %s", what, visitsString(got), visitsString(want))
	}
}

func sameEdges(t *testing.T, what string, got, want []quiver.Edge) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.ID == w.ID && g.Source == w.Source && g.Target == w.Target && g.Label == w.Label &&
			g.Weight == w.Weight && bytes.Equal(g.Properties, w.Properties) &&
			(g.Properties == nil) == (len(w.Properties) == 0)
	}
	if !ok {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// groupNot0 and odd are the payload filters the traversal tests use, as
// filter text and as the predicate the reference applies.
var (
	groupNot0 = quiver.Ne("group", 0).String()
	oddOnly   = quiver.Eq("odd", 1).String()
	refFilter = map[string]func(uint64) bool{
		"":        nil,
		groupNot0: func(id uint64) bool { return id%3 != 0 },
		oddOnly:   func(id uint64) bool { return id%2 == 1 },
	}
)

// ---- tests --------------------------------------------------------------------------

// Traversals (BFS and DFS, one and several starts, depths, labels on all
// hops and per hop, directions, a payload filter, a limit) against the
// reference written above.
func TestGraphTraverse(t *testing.T) {
	db, _ := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)

	cases := []struct {
		name   string
		starts []uint64
		opts   quiver.TraverseOptions
	}{
		{"defaults", []uint64{3}, quiver.TraverseOptions{}},
		{"bfs depth 3", []uint64{3}, quiver.TraverseOptions{MaxDepth: 3}},
		{"dfs depth 3", []uint64{3}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 3}},
		{"bfs with starts", []uint64{3, 17, 3}, quiver.TraverseOptions{MaxDepth: 2, IncludeStarts: true}},
		{"dfs with starts", []uint64{17, 3, 40}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 4, IncludeStarts: true}},
		{"min depth 2", []uint64{5, 9}, quiver.TraverseOptions{MinDepth: 2, MaxDepth: 3}},
		{"dfs min depth 3", []uint64{5}, quiver.TraverseOptions{Order: quiver.DFS, MinDepth: 3, MaxDepth: 5}},
		{"label a", []uint64{1}, quiver.TraverseOptions{MaxDepth: 4, Labels: []string{"a"}}},
		{"labels b c", []uint64{1, 2}, quiver.TraverseOptions{MaxDepth: 4, Labels: []string{"b", "c"}}},
		{"unknown label", []uint64{1}, quiver.TraverseOptions{MaxDepth: 4, Labels: []string{"zz"}}},
		{"per hop", []uint64{8}, quiver.TraverseOptions{MaxDepth: 3, Labels: []string{"a"},
			HopLabels: [][]string{{"b"}, nil, {"c", "b"}}}},
		{"dfs per hop", []uint64{8, 30}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 3,
			HopLabels: [][]string{{"a"}, {"b", "c"}}}},
		{"in", []uint64{12}, quiver.TraverseOptions{MaxDepth: 3, Direction: quiver.DirectionIn}},
		{"both", []uint64{12}, quiver.TraverseOptions{MaxDepth: 2, Direction: quiver.DirectionBoth}},
		{"dfs both", []uint64{12}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 6, Direction: quiver.DirectionBoth}},
		{"filter", []uint64{0, 6}, quiver.TraverseOptions{MaxDepth: 4, Filter: groupNot0}},
		{"dfs filter with starts", []uint64{0, 6}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 4, Filter: groupNot0, IncludeStarts: true}},
		{"limit", []uint64{3, 4}, quiver.TraverseOptions{MaxDepth: 5, Limit: 7}},
		{"dfs limit", []uint64{3, 4}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 5, Limit: 7}},
		{"limit below starts", []uint64{3, 4, 5}, quiver.TraverseOptions{MaxDepth: 2, Limit: 2, IncludeStarts: true}},
		{"isolated", []uint64{graphN - 1}, quiver.TraverseOptions{MaxDepth: 3, IncludeStarts: true, Direction: quiver.DirectionBoth}},
		{"no starts", nil, quiver.TraverseOptions{MaxDepth: 3}},
		{"everything", []uint64{0}, quiver.TraverseOptions{MaxDepth: 1000, Direction: quiver.DirectionBoth, Limit: 10000000}},
	}
	nonEmpty := 0
	for _, tc := range cases {
		vs, err := c.Traverse(tc.starts, tc.opts)
		got := collect(t, tc.name, vs, err)
		want := g.traverse(tc.starts, tc.opts, refFilter[tc.opts.Filter])
		sameVisits(t, tc.name, got, want, false)
		if len(got) > 0 {
			nonEmpty++
		}
		if tc.opts.Limit > 0 && len(got) > tc.opts.Limit {
			t.Fatalf("%s: %d visits over the limit %d", tc.name, len(got), tc.opts.Limit)
		}
	}
	if nonEmpty < len(cases)-4 {
		t.Fatalf("only %d of %d cases returned anything: the graph is too sparse to test", nonEmpty, len(cases))
	}

	// Random options, many times.
	rng := rand.New(rand.NewSource(77))
	labels := []string{"a", "b", "c", "zz"}
	subset := func() []string {
		var out []string
		for _, l := range labels {
			if rng.Intn(3) == 0 {
				out = append(out, l)
			}
		}
		return out
	}
	filters := []string{"", "", groupNot0, oddOnly}
	deep := 0
	for round := 0; round < 300; round++ {
		o := quiver.TraverseOptions{
			Order:     quiver.Order(rng.Intn(2)),
			MaxDepth:  1 + rng.Intn(5),
			Direction: quiver.Direction(rng.Intn(3)),
			Filter:    filters[rng.Intn(len(filters))],
		}
		if rng.Intn(5) == 0 {
			o.IncludeStarts = true
		} else {
			o.MinDepth = rng.Intn(o.MaxDepth + 1)
		}
		if rng.Intn(2) == 0 {
			o.Labels = subset()
		}
		if rng.Intn(3) == 0 {
			o.HopLabels = make([][]string, rng.Intn(o.MaxDepth+1))
			for i := range o.HopLabels {
				o.HopLabels[i] = subset()
			}
		}
		if rng.Intn(3) == 0 {
			o.Limit = 1 + rng.Intn(20)
		}
		starts := make([]uint64, 1+rng.Intn(3))
		for i := range starts {
			starts[i] = uint64(rng.Intn(graphN))
		}
		what := fmt.Sprintf("round %d: Traverse(%v, %+v)", round, starts, o)
		vs, err := c.Traverse(starts, o)
		got := collect(t, what, vs, err)
		sameVisits(t, what, got, g.traverse(starts, o, refFilter[o.Filter]), false)
		for _, v := range got {
			if v.Depth >= 3 {
				deep++
				break
			}
		}
	}
	if deep < 20 {
		t.Fatalf("only %d random traversals went 3 hops deep", deep)
	}
}

// The Visits iterator: Len, Next, Visit, Err, Collect of the rest, Close.
func TestGraphVisitsIterator(t *testing.T) {
	db, _ := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)
	opts := quiver.TraverseOptions{MaxDepth: 3, IncludeStarts: true}
	want := g.traverse([]uint64{2}, opts, nil)
	if len(want) < 5 {
		t.Fatalf("the reference traversal has only %d points", len(want))
	}
	vs, err := c.Traverse([]uint64{2}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if vs.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", vs.Len(), len(want))
	}
	var got []quiver.Visit
	for i := 0; i < 3 && vs.Next(); i++ {
		got = append(got, vs.Visit())
	}
	rest, err := vs.Collect() // the rest, then closes
	if err != nil {
		t.Fatal(err)
	}
	sameVisits(t, "3 by Next, then Collect", append(got, rest...), want, false)
	if vs.Next() || vs.Len() != 0 || vs.Err() != nil || vs.Visit().ID != 0 || vs.Visit().Path != nil {
		t.Fatalf("after Collect: Next %v, Len %d, Err %v, Visit %+v", vs.Next(), vs.Len(), vs.Err(), vs.Visit())
	}
	if err := vs.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// A loop to the end, then Close; paths stay valid after Close.
	vs, err = c.Traverse([]uint64{2}, opts)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for vs.Next() {
		got = append(got, vs.Visit())
	}
	if err := vs.Err(); err != nil {
		t.Fatal(err)
	}
	vs.Close()
	sameVisits(t, "Next loop", got, want, false)
	// Closed early.
	vs, _ = c.Traverse([]uint64{2}, opts)
	vs.Next()
	vs.Close()
	if vs.Next() {
		t.Fatal("Next after Close returned true")
	}
}

// Shortest paths: unweighted (as long as the reference BFS distance, with
// and without a hop bound), weighted (the reference Dijkstra cost), over
// every pair, with directions and labels; unreachable points give nil.
func TestGraphShortestPath(t *testing.T) {
	db, _ := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)
	variants := []struct {
		dir    quiver.Direction
		labels []string
	}{
		{quiver.DirectionOut, nil},
		{quiver.DirectionIn, nil},
		{quiver.DirectionBoth, nil},
		{quiver.DirectionOut, []string{"a", "c"}},
		{quiver.DirectionBoth, []string{"b"}},
	}
	found, missing, bounded, zeroCost := 0, 0, 0, 0
	for _, vr := range variants {
		for from := uint64(0); from < graphN; from += 3 {
			hops, cost := g.distances(from, vr.dir, vr.labels)
			for to := uint64(0); to < graphN; to++ {
				what := fmt.Sprintf("ShortestPath(%d, %d, %v %v)", from, to, vr.dir, vr.labels)
				p, err := c.ShortestPath(from, to, quiver.PathOptions{Direction: vr.dir, Labels: vr.labels})
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				h, ok := hops[to]
				if !ok {
					missing++
					if p != nil {
						t.Fatalf("%s = %+v, want none", what, p)
					}
					w, err := c.ShortestPath(from, to, quiver.PathOptions{Direction: vr.dir, Labels: vr.labels, Weighted: true})
					if err != nil || w != nil {
						t.Fatalf("weighted %s = %+v, %v, want none", what, w, err)
					}
					continue
				}
				found++
				if p == nil {
					t.Fatalf("%s = none, want %d hops", what, h)
				}
				g.checkPath(t, what, p, from, to, vr.dir, vr.labels)
				if len(p.Edges) != h || p.Cost != float64(h) {
					t.Fatalf("%s: %d edges, cost %g; want %d hops", what, len(p.Edges), p.Cost, h)
				}
				if from == to && (p.Edges != nil || len(p.Points) != 1) {
					t.Fatalf("%s: from == to gives %+v", what, p)
				}
				// With a hop bound.
				bound := 1 + int(to%4)
				b, err := c.ShortestPath(from, to, quiver.PathOptions{Direction: vr.dir, Labels: vr.labels, MaxDepth: bound})
				if err != nil {
					t.Fatalf("bounded %s: %v", what, err)
				}
				if h > bound {
					bounded++
					if b != nil {
						t.Fatalf("%s with MaxDepth %d = %+v, want none (%d hops needed)", what, bound, b, h)
					}
				} else if b == nil || len(b.Edges) != h {
					t.Fatalf("%s with MaxDepth %d = %+v, want %d hops", what, bound, b, h)
				}
				// Weighted.
				w, err := c.ShortestPath(from, to, quiver.PathOptions{Direction: vr.dir, Labels: vr.labels, Weighted: true})
				if err != nil || w == nil {
					t.Fatalf("weighted %s = %+v, %v", what, w, err)
				}
				sum := g.checkPath(t, "weighted "+what, w, from, to, vr.dir, vr.labels)
				if math.Abs(w.Cost-cost[to]) > 1e-9 || math.Abs(sum-w.Cost) > 1e-9 {
					t.Fatalf("weighted %s: cost %v (edges sum to %v), want %v", what, w.Cost, sum, cost[to])
				}
				if w.Cost == 0 && from != to {
					zeroCost++
				}
			}
		}
	}
	t.Logf("%d paths, %d unreachable, %d beyond the hop bound, %d of weight 0", found, missing, bounded, zeroCost)
	if found < 200 || missing < 50 || bounded < 20 {
		t.Fatalf("too few cases: %d paths, %d unreachable, %d bounded", found, missing, bounded)
	}
}

// Reading edges: get by id, find by source, target and label, degree,
// count, properties byte for byte, the stats component.
func TestGraphEdgesRead(t *testing.T) {
	db, _ := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)

	if n, err := c.CountEdges(); err != nil || n != len(g.edges) {
		t.Fatalf("CountEdges = %d, %v; want %d", n, err, len(g.edges))
	}
	all := g.sortedEdges(nil)
	got, err := c.FindEdges(quiver.EdgeQuery{})
	if err != nil {
		t.Fatal(err)
	}
	sameEdges(t, "FindEdges(all)", got, all)
	withProps := 0
	for _, e := range got {
		if e.Properties != nil {
			withProps++
		}
	}
	if withProps < 10 {
		t.Fatalf("only %d edges with properties", withProps)
	}

	// GetEdges: in the order of the ids, missing ones left out.
	var ids []uint64
	var want []quiver.Edge
	for i := len(all) - 1; i >= 0; i -= 3 {
		ids = append(ids, all[i].ID, 999999+uint64(i))
		want = append(want, all[i])
	}
	got, err = c.GetEdges(ids...)
	if err != nil {
		t.Fatal(err)
	}
	sameEdges(t, "GetEdges", got, want)
	if got, err := c.GetEdges(); err != nil || len(got) != 0 {
		t.Fatalf("GetEdges() = %v, %v", got, err)
	}

	for _, label := range []string{"a", "b", "c", "zz"} {
		got, err := c.FindEdges(quiver.EdgeQuery{Label: label})
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, "FindEdges label "+label, got, g.sortedEdges(func(e quiver.Edge) bool { return e.Label == label }))
	}
	parallel := 0
	for p := uint64(0); p < graphN; p++ {
		got, err := c.FindEdges(quiver.EdgesFrom(p))
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, fmt.Sprintf("EdgesFrom(%d)", p), got, g.sortedEdges(func(e quiver.Edge) bool { return e.Source == p }))
		got, err = c.FindEdges(quiver.EdgesTo(p))
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, fmt.Sprintf("EdgesTo(%d)", p), got, g.sortedEdges(func(e quiver.Edge) bool { return e.Target == p }))
		got, err = c.FindEdges(quiver.EdgesFrom(p).WithLabel("a"))
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, fmt.Sprintf("EdgesFrom(%d) a", p), got,
			g.sortedEdges(func(e quiver.Edge) bool { return e.Source == p && e.Label == "a" }))
		got, err = c.FindEdges(quiver.EdgesTo(p).WithLabel("b"))
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, fmt.Sprintf("EdgesTo(%d) b", p), got,
			g.sortedEdges(func(e quiver.Edge) bool { return e.Target == p && e.Label == "b" }))
		for _, label := range []string{"", "a", "c"} {
			in, out, err := c.Degree(p, label)
			wantIn := len(g.sortedEdges(func(e quiver.Edge) bool { return e.Target == p && (label == "" || e.Label == label) }))
			wantOut := len(g.sortedEdges(func(e quiver.Edge) bool { return e.Source == p && (label == "" || e.Label == label) }))
			if err != nil || in != wantIn || out != wantOut {
				t.Fatalf("Degree(%d, %q) = %d, %d, %v; want %d, %d", p, label, in, out, err, wantIn, wantOut)
			}
		}
	}
	// Between two points: every pair that has edges, parallel ones included.
	for _, e := range all {
		got, err := c.FindEdges(quiver.EdgesBetween(e.Source, e.Target))
		if err != nil {
			t.Fatal(err)
		}
		want := g.sortedEdges(func(x quiver.Edge) bool { return x.Source == e.Source && x.Target == e.Target })
		sameEdges(t, fmt.Sprintf("EdgesBetween(%d, %d)", e.Source, e.Target), got, want)
		if len(want) > 1 {
			parallel++
		}
	}
	if parallel == 0 {
		t.Fatal("the graph has no parallel edges")
	}
	if in, out, err := c.Degree(123456, ""); err != nil || in != 0 || out != 0 {
		t.Fatalf("Degree of a missing point = %d, %d, %v", in, out, err)
	}

	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	var edges *quiver.ComponentStats
	for i := range st.Components {
		if st.Components[i].Name == "edges" {
			edges = &st.Components[i]
		}
	}
	if edges == nil || edges.RAMBytes == 0 {
		t.Fatalf("Stats: no \"edges\" component with RAM in %+v", st.Components)
	}
	var doc struct {
		Edges *int `json:"edges"`
	}
	if err := json.Unmarshal([]byte(st.JSON), &doc); err != nil || doc.Edges == nil || *doc.Edges != len(g.edges) {
		t.Fatalf("Stats.JSON: edges %v (%v), want %d", doc.Edges, err, len(g.edges))
	}
}

// Writing edges: replace by id, the last of a batch wins, default and
// zero weights, remove, deleting a point removes its edges, upserting it
// keeps them, and everything survives close and reopen.
func TestGraphEdgesWrite(t *testing.T) {
	db, dir := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)

	// Replace an edge, and a batch naming one id twice.
	first := g.sortedEdges(nil)[0]
	repl := quiver.Edge{ID: first.ID, Source: 40, Target: 41, Label: "c", Weight: 2.5, Properties: []byte(`{"v":1}`)}
	twice := []quiver.Edge{
		{ID: 777777, Source: 1, Target: 2, Label: "a", Weight: 9},
		{ID: 777777, Source: 2, Target: 3, Label: "b", Weight: 0.25, Properties: []byte(`{"last":true}`)},
	}
	if err := c.AddEdges(append([]quiver.Edge{repl}, twice...)...); err != nil {
		t.Fatal(err)
	}
	g.edges[first.ID] = repl
	g.edges[777777] = twice[1]
	got, err := c.GetEdges(first.ID, 777777)
	if err != nil {
		t.Fatal(err)
	}
	sameEdges(t, "replaced edges", got, []quiver.Edge{repl, twice[1]})

	// Weight 0 means 1; ExactZero means 0, read back as ExactZero.
	if err := c.AddEdges(quiver.Edge{ID: 888001, Source: 5, Target: 6, Label: "a"},
		quiver.Edge{ID: 888002, Source: 6, Target: 5, Label: "a", Weight: quiver.ExactZero}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetEdges(888001, 888002)
	if err != nil || len(got) != 2 || got[0].Weight != 1 || got[1].Weight != 0 || !math.Signbit(float64(got[1].Weight)) {
		t.Fatalf("weights read back: %+v, %v", got, err)
	}
	if err := c.AddEdges(got...); err != nil { // added again as read: unchanged
		t.Fatal(err)
	}
	if again, _ := c.GetEdges(888001, 888002); again[1].Weight != 0 || again[0].Weight != 1 {
		t.Fatalf("weights after adding the read edges again: %+v", again)
	}
	g.edges[888001] = quiver.Edge{ID: 888001, Source: 5, Target: 6, Label: "a", Weight: 1}
	g.edges[888002] = quiver.Edge{ID: 888002, Source: 6, Target: 5, Label: "a", Weight: quiver.ExactZero}

	// Remove: the count of those that existed.
	if n, err := c.RemoveEdges(888001, 888001, 31337); err != nil || n != 1 {
		t.Fatalf("RemoveEdges = %d, %v; want 1", n, err)
	}
	delete(g.edges, 888001)
	if n, err := c.RemoveEdges(); err != nil || n != 0 {
		t.Fatalf("RemoveEdges() = %d, %v", n, err)
	}

	// Deleting a point removes its edges, in and out; upserting another
	// keeps them.
	victim := uint64(7)
	touching := 0
	for id, e := range g.edges {
		if e.Source == victim || e.Target == victim {
			delete(g.edges, id)
			touching++
		}
	}
	if touching == 0 {
		t.Fatal("point 7 has no edges")
	}
	if n, err := c.Delete(victim); err != nil || n != 1 {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	if err := c.UpsertPoints([]quiver.Point{{ID: 8, Vector: []float32{1, 2, 3, 4}, Payload: graphPayload(8)}}); err != nil {
		t.Fatal(err)
	}
	g.vectors[8] = []float32{1, 2, 3, 4}
	check := func(c *quiver.Collection, what string) {
		t.Helper()
		if n, err := c.CountEdges(); err != nil || n != len(g.edges) {
			t.Fatalf("%s: CountEdges = %d, %v; want %d", what, n, err, len(g.edges))
		}
		got, err := c.FindEdges(quiver.EdgeQuery{})
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, what+": all edges", got, g.sortedEdges(nil))
		for _, q := range []quiver.EdgeQuery{quiver.EdgesFrom(victim), quiver.EdgesTo(victim)} {
			if got, err := c.FindEdges(q); err != nil || len(got) != 0 {
				t.Fatalf("%s: edges of the deleted point: %+v, %v", what, got, err)
			}
		}
		if _, err := c.Traverse([]uint64{victim}, quiver.TraverseOptions{}); err == nil {
			t.Fatalf("%s: Traverse from the deleted point succeeded", what)
		} else {
			mustCode(t, what+": Traverse from the deleted point", err, quiver.ErrNotFound)
		}
		for _, o := range []quiver.TraverseOptions{
			{MaxDepth: 4, Direction: quiver.DirectionBoth, IncludeStarts: true},
			{Order: quiver.DFS, MaxDepth: 5, Labels: []string{"a", "b"}},
		} {
			vs, err := c.Traverse([]uint64{8, 1}, o)
			sameVisits(t, what+": traversal", collect(t, what, vs, err), g.traverse([]uint64{8, 1}, o, nil), false)
		}
	}
	check(c, "after the writes")

	// Close and reopen.
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
	c2, err := db2.OpenCollection("g")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	check(c2, "after reopening")
	// And once more after a checkpoint and an optimization.
	if err := c2.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Optimize(); err != nil {
		t.Fatal(err)
	}
	check(c2, "after checkpoint and optimize")
}

// Bad edges and bad traversal parameters: the binding's errors, and
// nothing written.
func TestGraphErrors(t *testing.T) {
	db, _ := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)
	count := len(g.edges)
	good := quiver.Edge{ID: 555555, Source: 1, Target: 2, Label: "a"}
	unchanged := func(what string) {
		t.Helper()
		if n, err := c.CountEdges(); err != nil || n != count {
			t.Fatalf("%s: CountEdges = %d, %v; want %d", what, n, err, count)
		}
		if got, err := c.GetEdges(good.ID); err != nil || len(got) != 0 {
			t.Fatalf("%s: the good edge of the batch was written: %+v, %v", what, got, err)
		}
	}
	for _, tc := range []struct {
		what string
		bad  quiver.Edge
		want *quiver.Error
	}{
		{"missing target", quiver.Edge{ID: 1, Source: 1, Target: 99999, Label: "a"}, quiver.ErrNotFound},
		{"missing source", quiver.Edge{ID: 1, Source: 99999, Target: 1, Label: "a"}, quiver.ErrNotFound},
		{"empty label", quiver.Edge{ID: 1, Source: 1, Target: 2}, quiver.ErrInvalidArgument},
		{"control character", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a\nb"}, quiver.ErrInvalidArgument},
		{"long label", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: strings.Repeat("x", 257)}, quiver.ErrInvalidArgument},
		{"bad UTF-8", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a\xff"}, quiver.ErrInvalidArgument},
		{"negative weight", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a", Weight: -1}, quiver.ErrInvalidArgument},
		{"NaN weight", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a", Weight: float32(math.NaN())}, quiver.ErrInvalidArgument},
		{"infinite weight", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a", Weight: float32(math.Inf(1))}, quiver.ErrInvalidArgument},
		{"properties an array", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a", Properties: []byte(`[1, 2]`)}, quiver.ErrInvalidArgument},
		{"properties a string", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a", Properties: []byte(`"x"`)}, quiver.ErrInvalidArgument},
		{"properties not JSON", quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "a", Properties: []byte(`{bad`)}, quiver.ErrInvalidArgument},
	} {
		err := c.AddEdges(good, tc.bad)
		e := mustCode(t, tc.what, err, tc.want)
		if !strings.Contains(e.Message, "edges[1]") && tc.want == quiver.ErrInvalidArgument {
			t.Errorf("%s: the message does not name edges[1]: %q", tc.what, e.Message)
		}
		unchanged(tc.what)
	}
	// The label of an existing edge id must not change on a failed batch.
	first := g.sortedEdges(nil)[0]
	err := c.AddEdges(quiver.Edge{ID: first.ID, Source: 1, Target: 2, Label: "zz"}, quiver.Edge{ID: 2, Source: 1, Target: 2})
	mustCode(t, "replace with a bad batch", err, quiver.ErrInvalidArgument)
	if got, _ := c.GetEdges(first.ID); len(got) != 1 || got[0].Label != first.Label {
		t.Fatalf("a failed batch changed edge %d: %+v", first.ID, got)
	}

	// Traversal parameters.
	for _, tc := range []struct {
		what   string
		starts []uint64
		opts   quiver.TraverseOptions
		want   *quiver.Error
	}{
		{"missing start", []uint64{1, 99999}, quiver.TraverseOptions{}, quiver.ErrNotFound},
		{"MaxDepth 1001", []uint64{1}, quiver.TraverseOptions{MaxDepth: 1001}, quiver.ErrInvalidArgument},
		{"negative MaxDepth", []uint64{1}, quiver.TraverseOptions{MaxDepth: -1}, quiver.ErrInvalidArgument},
		{"MinDepth above MaxDepth", []uint64{1}, quiver.TraverseOptions{MinDepth: 3, MaxDepth: 2}, quiver.ErrInvalidArgument},
		{"IncludeStarts with MinDepth", []uint64{1}, quiver.TraverseOptions{MinDepth: 1, MaxDepth: 2, IncludeStarts: true}, quiver.ErrInvalidArgument},
		{"Limit too large", []uint64{1}, quiver.TraverseOptions{Limit: 10000001}, quiver.ErrInvalidArgument},
		{"more hops than MaxDepth", []uint64{1}, quiver.TraverseOptions{MaxDepth: 1, HopLabels: [][]string{{"a"}, {"b"}}}, quiver.ErrInvalidArgument},
		{"empty label", []uint64{1}, quiver.TraverseOptions{Labels: []string{""}}, quiver.ErrInvalidArgument},
		{"empty hop label", []uint64{1}, quiver.TraverseOptions{MaxDepth: 2, HopLabels: [][]string{nil, {"a", ""}}}, quiver.ErrInvalidArgument},
		{"bad filter", []uint64{1}, quiver.TraverseOptions{Filter: `{"field": "group", "almost": 1}`}, quiver.ErrInvalidArgument},
		{"filter not JSON", []uint64{1}, quiver.TraverseOptions{Filter: `{`}, quiver.ErrInvalidArgument},
		{"bad direction", []uint64{1}, quiver.TraverseOptions{Direction: 7}, quiver.ErrInvalidArgument},
		{"bad order", []uint64{1}, quiver.TraverseOptions{Order: 5}, quiver.ErrInvalidArgument},
	} {
		vs, err := c.Traverse(tc.starts, tc.opts)
		if vs != nil {
			t.Fatalf("%s: Visits returned with error %v", tc.what, err)
		}
		mustCode(t, "Traverse: "+tc.what, err, tc.want)
		_, err = c.TraverseRanked(tc.starts, tc.opts, g.vectors[1], 3)
		mustCode(t, "TraverseRanked: "+tc.what, err, tc.want)
		if tc.want != quiver.ErrNotFound {
			_, err = c.SearchExpand(g.vectors[1], quiver.SearchOptions{K: 3}, tc.opts)
			mustCode(t, "SearchExpand: "+tc.what, err, tc.want)
		}
	}
	_, err = c.TraverseRanked([]uint64{1}, quiver.TraverseOptions{}, g.vectors[1], 100001)
	mustCode(t, "TraverseRanked k 100001", err, quiver.ErrInvalidArgument)
	_, err = c.TraverseRanked([]uint64{1}, quiver.TraverseOptions{}, []float32{1, 2}, 3)
	mustCode(t, "TraverseRanked short query", err, quiver.ErrDimensionMismatch)
	_, err = c.TraverseRanked([]uint64{1}, quiver.TraverseOptions{}, []float32{1, float32(math.NaN()), 0, 0}, 3)
	mustCode(t, "TraverseRanked NaN query", err, quiver.ErrInvalidArgument)
	_, err = c.SearchExpand([]float32{1, 2}, quiver.SearchOptions{}, quiver.TraverseOptions{})
	mustCode(t, "SearchExpand short query", err, quiver.ErrDimensionMismatch)
	_, err = c.SearchExpand(g.vectors[1], quiver.SearchOptions{K: -1}, quiver.TraverseOptions{})
	mustCode(t, "SearchExpand K -1", err, quiver.ErrInvalidArgument)

	// Shortest path parameters.
	_, err = c.ShortestPath(1, 99999, quiver.PathOptions{})
	mustCode(t, "ShortestPath to a missing point", err, quiver.ErrNotFound)
	_, err = c.ShortestPath(99999, 1, quiver.PathOptions{})
	mustCode(t, "ShortestPath from a missing point", err, quiver.ErrNotFound)
	_, err = c.ShortestPath(1, 2, quiver.PathOptions{Weighted: true, MaxDepth: 3})
	mustCode(t, "ShortestPath weighted with MaxDepth", err, quiver.ErrInvalidArgument)
	_, err = c.ShortestPath(1, 2, quiver.PathOptions{Labels: []string{""}})
	mustCode(t, "ShortestPath empty label", err, quiver.ErrInvalidArgument)
	_, err = c.ShortestPath(1, 2, quiver.PathOptions{Direction: 3})
	mustCode(t, "ShortestPath bad direction", err, quiver.ErrInvalidArgument)

	// Reads with bad labels: not UTF-8 is refused.
	_, err = c.FindEdges(quiver.EdgeQuery{Label: "a\xff"})
	mustCode(t, "FindEdges label not UTF-8", err, quiver.ErrInvalidArgument)
	_, _, err = c.Degree(1, "a\xff")
	mustCode(t, "Degree label not UTF-8", err, quiver.ErrInvalidArgument)
	// A label no edge can have (a control character, 257 bytes) is
	// refused too.
	for _, label := range []string{"a\x01", strings.Repeat("x", 257)} {
		_, err := c.FindEdges(quiver.EdgeQuery{Label: label})
		mustCode(t, "FindEdges bad label", err, quiver.ErrInvalidArgument)
		_, _, err = c.Degree(1, label)
		mustCode(t, "Degree bad label", err, quiver.ErrInvalidArgument)
	}

	// A metadata-only collection has edges and traversals, but no ranking.
	meta := createCollection(t, db, "meta", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	if err := meta.Upsert([]uint64{1, 2}, nil, [][]byte{[]byte(`{}`), nil}); err != nil {
		t.Fatal(err)
	}
	if err := meta.AddEdges(quiver.Edge{ID: 1, Source: 1, Target: 2, Label: "x"}); err != nil {
		t.Fatal(err)
	}
	vs, err := meta.Traverse([]uint64{1}, quiver.TraverseOptions{})
	if got := collect(t, "metadata-only traversal", vs, err); len(got) != 1 || got[0].ID != 2 {
		t.Fatalf("metadata-only traversal: %s", visitsString(got))
	}
	_, err = meta.TraverseRanked([]uint64{1}, quiver.TraverseOptions{}, nil, 1)
	mustCode(t, "TraverseRanked metadata-only", err, quiver.ErrUnsupported)

	// A closed collection.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	mustCode(t, "AddEdges closed", c.AddEdges(good), quiver.ErrClosed)
	_, err = c.Traverse([]uint64{1}, quiver.TraverseOptions{})
	mustCode(t, "Traverse closed", err, quiver.ErrClosed)
	_, err = c.ShortestPath(1, 2, quiver.PathOptions{})
	mustCode(t, "ShortestPath closed", err, quiver.ErrClosed)
	_, err = c.CountEdges()
	mustCode(t, "CountEdges closed", err, quiver.ErrClosed)
	_, err = c.GraphSchema()
	mustCode(t, "GraphSchema closed", err, quiver.ErrClosed)
}

// jsonValue decodes text for a comparison that ignores formatting.
func jsonValue(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return v
}

func sameSchema(t *testing.T, what string, got *quiver.GraphSchema, want quiver.GraphSchema) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no schema", what)
	}
	if len(got.Labels) != len(want.Labels) {
		t.Fatalf("%s: labels %v, want %v", what, got.Labels, want.Labels)
	}
	for label, w := range want.Labels {
		r, ok := got.Labels[label]
		if !ok {
			t.Fatalf("%s: label %q missing from %v", what, label, got.Labels)
		}
		for _, f := range [][2]string{{r.Source, w.Source}, {r.Target, w.Target}} {
			if (f[0] == "") != (f[1] == "") || (f[0] != "" && !reflect.DeepEqual(jsonValue(t, f[0]), jsonValue(t, f[1]))) {
				t.Fatalf("%s: label %q: %+v, want %+v", what, label, r, w)
			}
		}
	}
}

// The label schema: a violating add fails and changes nothing, a schema
// existing edges violate is refused, get returns what was set, nil removes
// it, and it survives reopening.
func TestGraphSchema(t *testing.T) {
	db, dir := openDB(t, nil)
	c := createCollection(t, db, "lib", quiver.CollectionConfig{Dimension: 2, Metric: quiver.Euclidean})
	var pts []quiver.Point
	for i := 1; i <= 6; i++ {
		kind := "person"
		if i > 3 {
			kind = "paper"
		}
		pts = append(pts, quiver.Point{ID: uint64(i), Vector: []float32{float32(i), 0}, Payload: map[string]any{"kind": kind}})
	}
	if err := c.UpsertPoints(pts); err != nil {
		t.Fatal(err)
	}
	if s, err := c.GraphSchema(); err != nil || s != nil {
		t.Fatalf("GraphSchema of a new collection = %+v, %v", s, err)
	}
	if s, err := c.GraphSchemaJSON(); err != nil || s != "" {
		t.Fatalf("GraphSchemaJSON of a new collection = %q, %v", s, err)
	}
	person := quiver.Eq("kind", "person").String()
	paper := quiver.Eq("kind", "paper").String()
	schema := quiver.GraphSchema{Labels: map[string]quiver.LabelRule{
		"wrote": {Source: person, Target: paper},
		"cites": {Source: paper, Target: paper},
		"knows": {},
	}}
	if err := c.SetGraphSchema(&schema); err != nil {
		t.Fatal(err)
	}
	got, err := c.GraphSchema()
	if err != nil {
		t.Fatal(err)
	}
	sameSchema(t, "GraphSchema", got, schema)
	text, err := c.GraphSchemaJSON()
	if err != nil || !strings.Contains(text, `"labels"`) || !strings.Contains(text, `"wrote"`) {
		t.Fatalf("GraphSchemaJSON = %q, %v", text, err)
	}

	ok := []quiver.Edge{
		{ID: 1, Source: 1, Target: 4, Label: "wrote"},
		{ID: 2, Source: 5, Target: 4, Label: "cites"},
		{ID: 3, Source: 1, Target: 2, Label: "knows"},
		{ID: 4, Source: 4, Target: 1, Label: "knows"},
	}
	if err := c.AddEdges(ok...); err != nil {
		t.Fatalf("AddEdges that follow the schema: %v", err)
	}
	for _, bad := range []quiver.Edge{
		{ID: 10, Source: 1, Target: 2, Label: "likes"},   // not in the schema
		{ID: 10, Source: 4, Target: 5, Label: "wrote"},   // source a paper
		{ID: 10, Source: 1, Target: 2, Label: "wrote"},   // target a person
		{ID: 10, Source: 5, Target: 1, Label: "cites"},   // target a person
		{ID: 1, Source: 1, Target: 2, Label: "cites"},    // a replacement the schema refuses
		{ID: 11, Source: 1, Target: 999, Label: "knows"}, // not found: checked too
	} {
		err := c.AddEdges(quiver.Edge{ID: 12, Source: 2, Target: 3, Label: "knows"}, bad)
		want := quiver.ErrInvalidArgument
		if bad.Target == 999 {
			want = quiver.ErrNotFound
		}
		mustCode(t, fmt.Sprintf("AddEdges(%+v)", bad), err, want)
		all, err := c.FindEdges(quiver.EdgeQuery{})
		if err != nil {
			t.Fatal(err)
		}
		sameEdges(t, fmt.Sprintf("after AddEdges(%+v)", bad), all, []quiver.Edge{
			{ID: 1, Source: 1, Target: 4, Label: "wrote", Weight: 1},
			{ID: 2, Source: 5, Target: 4, Label: "cites", Weight: 1},
			{ID: 3, Source: 1, Target: 2, Label: "knows", Weight: 1},
			{ID: 4, Source: 4, Target: 1, Label: "knows", Weight: 1},
		})
	}

	// A schema the existing edges violate: refused, the old one stays.
	for _, bad := range []quiver.GraphSchema{
		{Labels: map[string]quiver.LabelRule{"wrote": {Source: person, Target: paper}, "cites": {}}}, // no "knows"
		{Labels: map[string]quiver.LabelRule{"wrote": {}, "cites": {}, "knows": {Source: person}}},   // edge 4 from a paper
	} {
		mustCode(t, fmt.Sprintf("SetGraphSchema(%+v)", bad), c.SetGraphSchema(&bad), quiver.ErrInvalidArgument)
		got, err := c.GraphSchema()
		if err != nil {
			t.Fatal(err)
		}
		sameSchema(t, "after a refused schema", got, schema)
	}
	for _, text := range []string{`{"labels": 3}`, `{"label": {}}`, `[1]`, `{`,
		`{"labels": {"x": {"source": {"field": "kind", "nope": 1}}}}`,
		`{"labels": {"x": {"origin": {}}}}`, `{"labels": {"": {}}}`} {
		mustCode(t, "SetGraphSchemaJSON("+text+")", c.SetGraphSchemaJSON(text), quiver.ErrInvalidArgument)
	}
	mustCode(t, "a filter that is not JSON",
		c.SetGraphSchema(&quiver.GraphSchema{Labels: map[string]quiver.LabelRule{"x": {Source: "{"}}}), quiver.ErrInvalidArgument)
	got, _ = c.GraphSchema()
	sameSchema(t, "after bad schemas", got, schema)

	// The JSON form, set as text, reads back the same.
	if err := c.SetGraphSchemaJSON(text); err != nil {
		t.Fatalf("SetGraphSchemaJSON(%s): %v", text, err)
	}
	if again, _ := c.GraphSchemaJSON(); !reflect.DeepEqual(jsonValue(t, again), jsonValue(t, text)) {
		t.Fatalf("GraphSchemaJSON after setting it as text: %s, want %s", again, text)
	}

	// Survives reopening.
	c.Close()
	db.Close()
	db2, err := quiver.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c2, err := db2.OpenCollection("lib")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got, err = c2.GraphSchema()
	if err != nil {
		t.Fatal(err)
	}
	sameSchema(t, "after reopening", got, schema)
	mustCode(t, "a violating add after reopening", c2.AddEdges(quiver.Edge{ID: 20, Source: 1, Target: 2, Label: "likes"}), quiver.ErrInvalidArgument)

	// nil removes it: any label again.
	if err := c2.SetGraphSchema(nil); err != nil {
		t.Fatal(err)
	}
	if s, err := c2.GraphSchema(); err != nil || s != nil {
		t.Fatalf("GraphSchema after removing it = %+v, %v", s, err)
	}
	if err := c2.AddEdges(quiver.Edge{ID: 20, Source: 1, Target: 2, Label: "likes"}); err != nil {
		t.Fatalf("AddEdges without a schema: %v", err)
	}
}

// SearchExpand against a search and the reference traversal from its
// hits, each visit with the score of the hit it came from.
func TestGraphSearchExpand(t *testing.T) {
	db, _ := openDB(t, nil)
	c, g := graphCollection(t, db, "g", quiver.Cosine)
	queries := randomVectors(91, 6, graphDim)
	cases := []struct {
		search quiver.SearchOptions
		opts   quiver.TraverseOptions
	}{
		{quiver.SearchOptions{K: 3, Exact: true}, quiver.TraverseOptions{}},
		{quiver.SearchOptions{K: 4, Exact: true}, quiver.TraverseOptions{MaxDepth: 2, IncludeStarts: true}},
		{quiver.SearchOptions{K: 5, Exact: true, Filter: oddOnly}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 3, IncludeStarts: true}},
		{quiver.SearchOptions{K: 2, Exact: true}, quiver.TraverseOptions{MinDepth: 2, MaxDepth: 3, Direction: quiver.DirectionBoth, Labels: []string{"a"}}},
		{quiver.SearchOptions{K: 6, Exact: true}, quiver.TraverseOptions{MaxDepth: 3, Filter: groupNot0, Limit: 9, IncludeStarts: true}},
		{quiver.SearchOptions{K: 3}, quiver.TraverseOptions{MaxDepth: 2, Direction: quiver.DirectionIn}},
	}
	for i, tc := range cases {
		q := queries[i]
		what := fmt.Sprintf("SearchExpand(query %d, %+v, %+v)", i, tc.search, tc.opts)
		hits, err := c.Search(q, tc.search)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != tc.search.K {
			t.Fatalf("%s: the search found %d hits", what, len(hits))
		}
		scores := map[uint64]float32{}
		for _, h := range hits {
			scores[h.ID] = h.Score
		}
		want := g.traverse(hitIDs(hits), tc.opts, refFilter[tc.opts.Filter])
		for j := range want {
			want[j].HasScore = true
			want[j].Score = scores[want[j].Origin]
		}
		vs, err := c.SearchExpand(q, tc.search, tc.opts)
		got := collect(t, what, vs, err)
		sameVisits(t, what, got, want, true)
		if len(got) == 0 {
			t.Fatalf("%s: nothing returned", what)
		}
		// The same walk from the hits the caller holds; a hit that is not
		// a point (first here) is skipped.
		withGone := append([]quiver.Hit{{ID: 1 << 40, Score: 2}}, hits...)
		vs, err = c.ExpandHits(withGone, tc.opts)
		sameVisits(t, "ExpandHits: "+what, collect(t, "ExpandHits: "+what, vs, err), want, true)
	}
	bad := []quiver.Hit{{ID: 1, Score: 1}, {ID: 2, Score: float32(math.NaN())}}
	_, err := c.ExpandHits(bad, quiver.TraverseOptions{})
	mustCode(t, "ExpandHits NaN score", err, quiver.ErrInvalidArgument)
	vs, err := c.ExpandHits(nil, quiver.TraverseOptions{})
	if got := collect(t, "ExpandHits of no hits", vs, err); len(got) != 0 {
		t.Fatalf("ExpandHits of no hits: %s", visitsString(got))
	}
}

// refScore is the collection's metric between a query and a vector, in
// float64, as Search scores it.
func refScore(m quiver.Metric, q, v []float32) float64 {
	var dot, nq, nv, d2 float64
	for i := range q {
		a, b := float64(q[i]), float64(v[i])
		dot += a * b
		nq += a * a
		nv += b * b
		d2 += (a - b) * (a - b)
	}
	switch m {
	case quiver.Cosine:
		return dot / math.Sqrt(nq*nv)
	case quiver.Euclidean:
		return math.Sqrt(d2)
	}
	return dot
}

// TraverseRanked against the reference traversal ranked by brute force in
// the collection's metric.
func TestGraphTraverseRanked(t *testing.T) {
	db, _ := openDB(t, nil)
	for _, m := range []quiver.Metric{quiver.Cosine, quiver.Dot, quiver.Euclidean} {
		c, g := graphCollection(t, db, fmt.Sprintf("g%d", m), m)
		queries := randomVectors(5, 8, graphDim)
		cases := []struct {
			starts []uint64
			opts   quiver.TraverseOptions
			k      int
		}{
			{[]uint64{3}, quiver.TraverseOptions{MaxDepth: 3}, 5},
			{[]uint64{3, 20}, quiver.TraverseOptions{MaxDepth: 2, IncludeStarts: true}, 4},
			{[]uint64{10}, quiver.TraverseOptions{Order: quiver.DFS, MaxDepth: 4, Direction: quiver.DirectionBoth}, 0}, // k 0 = 10
			{[]uint64{1}, quiver.TraverseOptions{MaxDepth: 5, Filter: groupNot0, Direction: quiver.DirectionBoth}, 100},
			{[]uint64{2, 9}, quiver.TraverseOptions{MaxDepth: 3, Labels: []string{"a", "b"}, Limit: 6}, 3},
			{[]uint64{graphN - 1}, quiver.TraverseOptions{MaxDepth: 3}, 3}, // nothing reached
			{[]uint64{graphN - 1}, quiver.TraverseOptions{MaxDepth: 3, IncludeStarts: true}, 3},
		}
		for i, tc := range cases {
			q := queries[i]
			what := fmt.Sprintf("%v: TraverseRanked(%v, %+v, k %d)", m, tc.starts, tc.opts, tc.k)
			walk := g.traverse(tc.starts, tc.opts, refFilter[tc.opts.Filter])
			type scored struct {
				v quiver.Visit
				s float64
			}
			var ranked []scored
			for _, v := range walk {
				ranked = append(ranked, scored{v, refScore(m, q, g.vectors[v.ID])})
			}
			lowerBetter := m == quiver.Euclidean
			sort.Slice(ranked, func(a, b int) bool {
				if ranked[a].s != ranked[b].s {
					return (ranked[a].s < ranked[b].s) == lowerBetter
				}
				return ranked[a].v.ID < ranked[b].v.ID
			})
			k := tc.k
			if k == 0 {
				k = 10
			}
			if len(ranked) > k {
				ranked = ranked[:k]
			}
			vs, err := c.TraverseRanked(tc.starts, tc.opts, q, tc.k)
			got := collect(t, what, vs, err)
			ok := len(got) == len(ranked)
			for j := 0; ok && j < len(got); j++ {
				gv, w := got[j], ranked[j]
				ok = gv.ID == w.v.ID && gv.Origin == w.v.Origin && gv.Depth == w.v.Depth &&
					slices.Equal(gv.Path, w.v.Path) && gv.HasScore && math.Abs(float64(gv.Score)-w.s) < 1e-5
			}
			if !ok {
				var want []string
				for _, r := range ranked {
					want = append(want, fmt.Sprintf("%s score %.6f", visitString(r.v), r.s))
				}
				t.Fatalf("%s:\n got %s\nwant %v", what, visitsString(got), want)
			}
			if i == 0 && len(got) < 3 {
				t.Fatalf("%s: only %d points ranked", what, len(got))
			}
		}
	}
}
