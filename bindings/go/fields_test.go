package quiver_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// TestFieldIndexes: indexes created on a populated collection and kept up by
// later writes give filtered searches the hits of an exact search; they are
// listed with their kinds, refused twice, and dropped.
func TestFieldIndexes(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "f", quiver.CollectionConfig{Dimension: maintDim, Metric: quiver.Euclidean})
	const n = 300
	ids := seq(0, n)
	vectors := randomVectors(5, n, maintDim)
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = []byte(fmt.Sprintf(`{"tag":"t%d","n":%d,"flag":%t}`, i%7, i, i%3 == 0))
	}
	if err := c.Upsert(ids[:150], vectors[:150], payloads[:150]); err != nil {
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	for _, ix := range []struct {
		field string
		kind  quiver.FieldKind
	}{{"tag", quiver.Keyword}, {"n", quiver.Integer}, {"flag", quiver.Bool}} {
		if err := c.CreateFieldIndex(ix.field, ix.kind); err != nil {
			t.Fatalf("CreateFieldIndex(%q): %v", ix.field, err)
		}
	}
	if err := c.Upsert(ids[150:], vectors[150:], payloads[150:]); err != nil {
		t.Fatal(err)
	}
	list, err := c.FieldIndexes()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Field != "tag" || list[0].Kind != quiver.Keyword ||
		list[1].Kind != quiver.Integer || list[2].Kind != quiver.Bool || list[0].RAMBytes == 0 {
		t.Fatalf("FieldIndexes: %+v", list)
	}
	if got := list[1].Kind.String(); got != "integer" {
		t.Errorf("Integer.String() = %q", got)
	}

	filter := `{"and": [{"field": "tag", "in": ["t2", "t5"]}, {"field": "n", "gte": 100}, {"field": "flag", "eq": false}]}`
	for q := 0; q < 5; q++ {
		query := vectors[q*31]
		exact, err := c.Search(query, quiver.SearchOptions{K: 8, Exact: true, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Search(query, quiver.SearchOptions{K: 8, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		if len(exact) != 8 || !slices.EqualFunc(got, exact, func(a, b quiver.Hit) bool { return a.ID == b.ID }) {
			t.Fatalf("query %d: indexed %v, exact %v", q, got, exact)
		}
		for _, h := range got {
			if i := h.ID; !((i%7 == 2 || i%7 == 5) && i >= 100 && i%3 != 0) {
				t.Fatalf("query %d: hit %d does not match", q, i)
			}
		}
	}

	if err := c.CreateFieldIndex("tag", quiver.Keyword); !errors.Is(err, quiver.ErrAlreadyExists) {
		t.Errorf("second CreateFieldIndex: %v", err)
	}
	if err := c.CreateFieldIndex("a..b", quiver.Keyword); !errors.Is(err, quiver.ErrInvalidArgument) {
		t.Errorf("bad path: %v", err)
	}
	if err := c.CreateFieldIndex("x", quiver.FieldKind(9)); !errors.Is(err, quiver.ErrInvalidArgument) {
		t.Errorf("bad kind: %v", err)
	}
	if err := c.DropFieldIndex("nope"); !errors.Is(err, quiver.ErrNotFound) {
		t.Errorf("DropFieldIndex of a missing index: %v", err)
	}
	if err := c.DropFieldIndex("tag"); err != nil {
		t.Fatal(err)
	}
	if list, err := c.FieldIndexes(); err != nil || len(list) != 2 || list[0].Field != "n" {
		t.Fatalf("after the drop: %+v, %v", list, err)
	}
}
