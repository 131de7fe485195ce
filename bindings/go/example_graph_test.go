package quiver_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// Edges between points, a traversal read through its iterator, a weighted
// shortest path, a ranked traversal and a search expanded along the edges.
func ExampleCollection_Traverse() {
	dir, _ := os.MkdirTemp("", "quiver-graph-example-")
	defer os.RemoveAll(dir)
	db, err := quiver.Open(filepath.Join(dir, "db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	papers, err := db.CreateCollection("papers", quiver.CollectionConfig{Dimension: 2, Metric: quiver.Cosine})
	if err != nil {
		log.Fatal(err)
	}
	defer papers.Close()
	err = papers.UpsertPoints([]quiver.Point{
		{ID: 1, Vector: []float32{1, 0}, Payload: map[string]any{"year": 2019}},
		{ID: 2, Vector: []float32{0.8, 0.6}, Payload: map[string]any{"year": 2021}},
		{ID: 3, Vector: []float32{0, 1}, Payload: map[string]any{"year": 2022}},
		{ID: 4, Vector: []float32{0.6, 0.8}, Payload: map[string]any{"year": 2023}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Both ends must exist; Weight 0 means 1.
	err = papers.AddEdges(
		quiver.Edge{ID: 10, Source: 2, Target: 1, Label: "cites"},
		quiver.Edge{ID: 11, Source: 3, Target: 2, Label: "cites"},
		quiver.Edge{ID: 12, Source: 4, Target: 2, Label: "cites", Properties: []byte(`{"section": "intro"}`)},
		quiver.Edge{ID: 13, Source: 4, Target: 3, Label: "cites", Weight: 5},
		quiver.Edge{ID: 14, Source: 4, Target: 1, Label: "mentions"},
	)
	if err != nil {
		log.Fatal(err)
	}

	// Two hops along "cites" from paper 4, breadth first.
	vs, err := papers.Traverse([]uint64{4}, quiver.TraverseOptions{MaxDepth: 2, Labels: []string{"cites"}})
	if err != nil {
		log.Fatal(err)
	}
	defer vs.Close()
	for vs.Next() {
		v := vs.Visit()
		fmt.Println("visit", v.ID, "depth", v.Depth, "path", v.Path)
	}
	if err := vs.Err(); err != nil {
		log.Fatal(err)
	}

	// The least total weight from 4 to 1 along "cites" (nil: unreachable).
	path, err := papers.ShortestPath(4, 1, quiver.PathOptions{Weighted: true, Labels: []string{"cites"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("path", path.Points, path.Edges, path.Cost)

	// The 2 points one hop out of 4 most similar to the query.
	ranked, err := papers.TraverseRanked([]uint64{4}, quiver.TraverseOptions{}, []float32{1, 0}, 2)
	if err != nil {
		log.Fatal(err)
	}
	top, err := ranked.Collect() // reads them all and closes
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range top {
		fmt.Printf("ranked %d %.3f\n", v.ID, v.Score)
	}

	// The best hit for the query, and the papers that cite it.
	expanded, err := papers.SearchExpand([]float32{0, 1}, quiver.SearchOptions{K: 1},
		quiver.TraverseOptions{IncludeStarts: true, Direction: quiver.DirectionIn})
	if err != nil {
		log.Fatal(err)
	}
	hits, err := expanded.Collect()
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range hits {
		fmt.Printf("expanded %d from hit %d (score %.3f)\n", v.ID, v.Origin, v.Score)
	}
	// Output:
	// visit 2 depth 1 path [12]
	// visit 3 depth 1 path [13]
	// visit 1 depth 2 path [12 10]
	// path [4 2 1] [12 10] 2
	// ranked 1 1.000
	// ranked 2 0.800
	// expanded 3 from hit 3 (score 1.000)
	// expanded 4 from hit 3 (score 1.000)
}
