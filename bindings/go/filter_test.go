package quiver_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// TestFilterBuilders: the builders write the JSON one writes by hand, and a
// search with a built filter equals the search with its hand-written JSON.
func TestFilterBuilders(t *testing.T) {
	cases := []struct {
		f    quiver.Filter
		want string
	}{
		{quiver.Eq("lang", "fr"), `{"field": "lang", "eq": "fr"}`},
		{quiver.Ne("n", 3), `{"field": "n", "ne": 3}`},
		{quiver.Lt("n", 2.5), `{"field": "n", "lt": 2.5}`},
		{quiver.Lte("s", "m"), `{"field": "s", "lte": "m"}`},
		{quiver.Gt("n", -1), `{"field": "n", "gt": -1}`},
		{quiver.Gte("year", 2022), `{"field": "year", "gte": 2022}`},
		{quiver.Between("n", 10, 20), `{"field": "n", "between": [10,20]}`},
		{quiver.In("tag", "a", "b"), `{"field": "tag", "in": ["a","b"]}`},
		{quiver.In("tag"), `{"field": "tag", "in": []}`},
		{quiver.NotIn("tag", "a"), `{"field": "tag", "nin": ["a"]}`},
		{quiver.ContainsAny("tags", "x", "y"), `{"field": "tags", "contains_any": ["x","y"]}`},
		{quiver.ContainsAll("tags", "x"), `{"field": "tags", "contains_all": ["x"]}`},
		{quiver.Like("t", `50\%`), `{"field": "t", "like": "50\\%"}`},
		{quiver.ILike("t", "%Go%"), `{"field": "t", "ilike": "%Go%"}`},
		{quiver.Exists("meta.lang"), `{"field": "meta.lang", "exists": true}`},
		{quiver.IsNull("d"), `{"field": "d", "is_null": true}`},
		{quiver.IsEmpty("tags"), `{"field": "tags", "is_empty": true}`},
		{quiver.Eq("q", `say "hi"`), `{"field": "q", "eq": "say \"hi\""}`},
		{quiver.And(quiver.Eq("a", true), quiver.Or()), `{"and": [{"field": "a", "eq": true}, {"or": []}]}`},
		{quiver.Not(quiver.Eq("a", nil)), `{"not": {"field": "a", "eq": null}}`},
	}
	for _, c := range cases {
		if got := c.f.String(); got != c.want || c.f.Err() != nil {
			t.Errorf("got %s (%v), want %s", got, c.f.Err(), c.want)
		}
	}
	bad := quiver.And(quiver.Eq("ok", 1), quiver.Eq("x", math.NaN()))
	if !errors.Is(bad.Err(), quiver.ErrInvalidArgument) || !strings.Contains(bad.String(), "invalid filter") {
		t.Errorf("NaN: %v, %s", bad.Err(), bad.String())
	}

	db, _ := openDB(t, nil)
	c := createCollection(t, db, "b", quiver.CollectionConfig{Dimension: maintDim, Metric: quiver.Euclidean})
	ids := seq(0, 120)
	vectors := randomVectors(9, 120, maintDim)
	payloads := make([][]byte, len(ids))
	for i := range payloads {
		payloads[i] = []byte(fmt.Sprintf(`{"n":%d,"tag":"t%d","tags":["x%d"]}`, i, i%5, i%3))
	}
	if err := c.Upsert(ids, vectors, payloads); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Search(vectors[0], quiver.SearchOptions{Filter: bad.String()}); !errors.Is(err, quiver.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "NaN") {
		t.Errorf("search with the bad filter: %v", err)
	}
	built := quiver.And(quiver.Between("n", 20, 90), quiver.NotIn("tag", "t1", "t2"), quiver.ContainsAny("tags", "x0", "x2"), quiver.Like("tag", "t_"))
	hand := `{"and": [{"field": "n", "between": [20, 90]}, {"field": "tag", "nin": ["t1", "t2"]},` +
		` {"field": "tags", "contains_any": ["x0", "x2"]}, {"field": "tag", "like": "t_"}]}`
	for q := 0; q < 3; q++ {
		a, err := c.Search(vectors[q*7], quiver.SearchOptions{K: 10, Exact: true, Filter: built.String()})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Search(vectors[q*7], quiver.SearchOptions{K: 10, Exact: true, Filter: hand})
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 10 || !slices.EqualFunc(a, b, func(x, y quiver.Hit) bool { return x.ID == y.ID }) {
			t.Fatalf("query %d: built %v, hand-written %v", q, a, b)
		}
		for _, h := range a {
			if i := h.ID; i < 20 || i > 90 || i%5 == 1 || i%5 == 2 || i%3 == 1 {
				t.Fatalf("hit %d does not match", i)
			}
		}
	}
}

// TestFilterBuildersCountsAndIDs: ValuesCount and HasID write the JSON one
// writes by hand, refuse what the library would, and count the same points
// as the hand-written JSON (and as a Go loop).
func TestFilterBuildersCountsAndIDs(t *testing.T) {
	cases := []struct {
		f    quiver.Filter
		want string
	}{
		{quiver.ValuesCount("words", quiver.CountGte(2), quiver.CountLt(5)), `{"field": "words", "values_count": {"gte": 2, "lt": 5}}`},
		{quiver.ValuesCount("w", quiver.CountEq(0)), `{"field": "w", "values_count": {"eq": 0}}`},
		{quiver.ValuesCount("tags[].name", quiver.CountGt(1), quiver.CountLte(3)), `{"field": "tags[].name", "values_count": {"gt": 1, "lte": 3}}`},
		{quiver.ValuesCount("w"), `{"field": "w", "values_count": {}}`},
		{quiver.HasID(1, 2, 3), `{"has_id": [1, 2, 3]}`},
		{quiver.HasID(18446744073709551615), `{"has_id": [18446744073709551615]}`},
		{quiver.HasID(), `{"has_id": []}`},
		{quiver.Eq("tags[].name", "x"), `{"field": "tags[].name", "eq": "x"}`},
		{quiver.Not(quiver.HasID(7)), `{"not": {"has_id": [7]}}`},
	}
	for _, c := range cases {
		if got := c.f.String(); got != c.want || c.f.Err() != nil {
			t.Errorf("got %s (%v), want %s", got, c.f.Err(), c.want)
		}
	}
	for _, bad := range []quiver.Filter{
		quiver.ValuesCount("w", quiver.CountGte(-1)),
		quiver.ValuesCount("w", quiver.CountBound{}),
		quiver.ValuesCount("w", quiver.CountLt(3), quiver.CountLt(4)),
		quiver.And(quiver.HasID(1), quiver.ValuesCount("w", quiver.CountEq(-2))),
	} {
		if !errors.Is(bad.Err(), quiver.ErrInvalidArgument) || !strings.Contains(bad.String(), "invalid filter") {
			t.Errorf("%s: Err %v", bad, bad.Err())
		}
	}

	db, _ := openDB(t, nil)
	c := createCollection(t, db, "vc", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	// Point i: i%6 words, tags [{"name": ...}] of i%3 objects (one without a
	// name when i%4 == 0).
	var points []quiver.Point
	words := make(map[uint64]int)
	names := make(map[uint64]int)
	for i := 0; i < 60; i++ {
		tags := []map[string]any{}
		for j := 0; j < i%3; j++ {
			tags = append(tags, map[string]any{"name": fmt.Sprintf("n%d", j)})
		}
		if i%4 == 0 {
			tags = append(tags, map[string]any{"other": 1})
		}
		id := uint64(i)
		words[id], names[id] = i%6, i%3
		points = append(points, quiver.Point{ID: id, Payload: map[string]any{
			"words": []string{"a", "b", "c", "d", "e", "f"}[:i%6], "tags": tags,
		}})
	}
	if err := c.UpsertPoints(points); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		built quiver.Filter
		hand  string
		pred  func(id uint64) bool
	}{
		{quiver.ValuesCount("words", quiver.CountGte(2), quiver.CountLt(5)), `{"field": "words", "values_count": {"gte": 2, "lt": 5}}`,
			func(id uint64) bool { return words[id] >= 2 && words[id] < 5 }},
		{quiver.ValuesCount("words", quiver.CountEq(0)), `{"field":"words","values_count":{"eq":0}}`,
			func(id uint64) bool { return words[id] == 0 }},
		{quiver.ValuesCount("tags[].name", quiver.CountGt(1)), `{"field": "tags[].name", "values_count": {"gt": 1}}`,
			func(id uint64) bool { return names[id] > 1 }},
		{quiver.Eq("tags[].name", "n1"), `{"field": "tags[].name", "eq": "n1"}`,
			func(id uint64) bool { return names[id] >= 2 }},
		{quiver.HasID(3, 5, 8, 1000), `{"has_id": [3, 5, 8, 1000]}`,
			func(id uint64) bool { return id == 3 || id == 5 || id == 8 }},
		{quiver.And(quiver.Not(quiver.HasID(0, 1)), quiver.ValuesCount("words", quiver.CountLte(1))),
			`{"and": [{"not": {"has_id": [0, 1]}}, {"field": "words", "values_count": {"lte": 1}}]}`,
			func(id uint64) bool { return id > 1 && words[id] <= 1 }},
	}
	for _, ch := range checks {
		var want []uint64
		for id := uint64(0); id < 60; id++ {
			if ch.pred(id) {
				want = append(want, id)
			}
		}
		built, err := c.ScrollAll(ch.built.String())
		if err != nil {
			t.Fatal(err)
		}
		hand, err := c.ScrollAll(ch.hand)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || !slices.Equal(built, want) || !slices.Equal(hand, want) {
			t.Errorf("%s: built %v, hand-written %v, want %v", ch.built, built, hand, want)
		}
		if n, err := c.CountWhere(ch.built.String()); err != nil || n != len(want) {
			t.Errorf("CountWhere(%s) = %d, %v; want %d", ch.built, n, err, len(want))
		}
	}
}
