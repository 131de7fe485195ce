package quiver_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// The quick start: open a directory, create a collection, upsert points
// with JSON payloads, search with and without a filter, close.
func Example() {
	dir, _ := os.MkdirTemp("", "quiver-example-")
	defer os.RemoveAll(dir)

	db, err := quiver.Open(filepath.Join(dir, "db"), nil) // created if missing; locked while open
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	docs, err := db.CreateCollection("docs", quiver.CollectionConfig{Dimension: 3, Metric: quiver.Cosine})
	if err != nil {
		log.Fatal(err)
	}
	defer docs.Close()

	err = docs.UpsertPoints([]quiver.Point{
		{ID: 1, Vector: []float32{1, 0, 0}, Payload: map[string]any{"lang": "en", "year": 2021}},
		{ID: 2, Vector: []float32{0, 1, 0}, Payload: map[string]any{"lang": "fr", "year": 2023}},
		{ID: 3, Vector: []float32{1, 1, 0}, Payload: map[string]any{"lang": "fr", "year": 2019}},
	}) // durable when it returns
	if err != nil {
		log.Fatal(err)
	}

	hits, err := docs.Search([]float32{0.9, 0.1, 0}, quiver.SearchOptions{K: 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Printf("%d %.3f\n", h.ID, h.Score)
	}

	french, err := docs.Search([]float32{0.9, 0.1, 0}, quiver.SearchOptions{
		K:           10,
		Filter:      `{"and": [{"field": "lang", "eq": "fr"}, {"field": "year", "gte": 2022}]}`,
		WithPayload: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d %s\n", french[0].ID, french[0].Payload)
	// Output:
	// 1 0.994
	// 3 0.781
	// 2 {"lang":"fr","year":2023}
}
