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
