package quiver_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// ---- corpus ---------------------------------------------------------------------

// Point i < textN: a body of 1 + i%6 words of textWords (some twice), a
// title of textTitles (indexed with stemming: its terms are titleTerms),
// notes = the body (indexed with k1 2, b 0) and tag i%3. Three more points
// have no body terms: 1000 no body (a title), 1001 a body of punctuation,
// 1002 no payload.
const textN = 60

var (
	textWords  = []string{"red", "fish", "blue", "cat", "green", "tree", "sky", "stone"}
	textTitles = []string{"fishing boats", "fishes", "blue stones", "red tree"}
	titleTerms = [][]string{{"fish", "boat"}, {"fish"}, {"blue", "stone"}, {"red", "tree"}}
)

// textBody draws the words of point i with an LCG (seeded by i).
func textBody(i int) string {
	w := make([]string, 1+i%6)
	s := (uint32(i)*1103515245 + 12345) & 0x7fffffff
	for j := range w {
		s = (s*1103515245 + 12345) & 0x7fffffff
		w[j] = textWords[(s>>16)%8]
	}
	return strings.Join(w, " ")
}

// textCorpus returns the points' ids and payloads (JSON text, byte for byte
// what the searches must return), and the terms of body and title per id.
func textCorpus() (ids []uint64, payloads [][]byte, body, title map[uint64][]string) {
	body, title = map[uint64][]string{}, map[uint64][]string{}
	for i := 0; i < textN; i++ {
		id := uint64(i)
		b := textBody(i)
		ids = append(ids, id)
		payloads = append(payloads, []byte(fmt.Sprintf(`{"body":"%s","title":"%s","notes":"%s","tag":%d}`,
			b, textTitles[i%4], b, i%3)))
		body[id] = strings.Fields(b)
		title[id] = titleTerms[i%4]
	}
	ids = append(ids, 1000, 1001, 1002)
	payloads = append(payloads, []byte(`{"title":"red tree","tag":0}`), []byte(`{"body":" ... !! ","tag":1}`), nil)
	title[1000] = titleTerms[3]
	return ids, payloads, body, title
}

// bm25 is Lucene's BM25 of the one-term query term in each text of docs
// (the terms of one field per point): n = the points with at least one
// term, avglen their mean length, idf = ln(1 + (n - df + 0.5)/(df + 0.5)),
// score = idf·tf·(k1 + 1)/(tf + k1·(1 - b + b·len/avglen)). Points without
// term are left out.
func bm25(docs map[uint64][]string, term string, k1, b float64) map[uint64]float64 {
	n, total, df := 0, 0, 0
	for _, toks := range docs {
		if len(toks) == 0 {
			continue
		}
		n++
		total += len(toks)
		if slices.Contains(toks, term) {
			df++
		}
	}
	avg := float64(total) / float64(n)
	idf := math.Log(1 + (float64(n-df)+0.5)/(float64(df)+0.5))
	out := map[uint64]float64{}
	for id, toks := range docs {
		tf := 0
		for _, t := range toks {
			if t == term {
				tf++
			}
		}
		if tf > 0 {
			out[id] = idf * float64(tf) * (k1 + 1) / (float64(tf) + k1*(1-b+b*float64(len(toks))/avg))
		}
	}
	return out
}

// addScores returns a + boost·b per id.
func addScores(a, b map[uint64]float64, boost float64) map[uint64]float64 {
	out := map[uint64]float64{}
	for id, s := range a {
		out[id] += s
	}
	for id, s := range b {
		out[id] += boost * s
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-4*math.Max(1, math.Abs(b)) }

// checkRanking checks hits against the best k of want (best first, equal
// scores by ascending id; points kept by keep, nil = all): the same count,
// the same scores position by position, and the same ids up to points
// whose scores are equal within rounding.
func checkRanking(t *testing.T, what string, hits []quiver.Hit, want map[uint64]float64, k int, keep func(uint64) bool) {
	t.Helper()
	var order []uint64
	for id := range want {
		if keep == nil || keep(id) {
			order = append(order, id)
		}
	}
	sort.Slice(order, func(a, b int) bool {
		sa, sb := want[order[a]], want[order[b]]
		if sa != sb {
			return sa > sb
		}
		return order[a] < order[b]
	})
	if len(order) > k {
		order = order[:k]
	}
	if len(order) == 0 {
		t.Fatalf("%s: the test expects no hit", what)
	}
	if len(hits) != len(order) {
		t.Fatalf("%s: %d hits %v, want %d %v", what, len(hits), hits, len(order), order)
	}
	seen := map[uint64]bool{}
	for j, h := range hits {
		exp := want[order[j]]
		if !near(float64(h.Score), exp) {
			t.Fatalf("%s: hit %d (id %d) scores %g, want %g (id %d)", what, j, h.ID, h.Score, exp, order[j])
		}
		if got, ok := want[h.ID]; h.ID != order[j] && (!ok || !near(got, exp) || (keep != nil && !keep(h.ID))) {
			t.Fatalf("%s: hit %d is id %d (score %g), want id %d", what, j, h.ID, got, order[j])
		}
		if seen[h.ID] {
			t.Fatalf("%s: id %d twice", what, h.ID)
		}
		seen[h.ID] = true
	}
}

// textCollection creates the corpus's collection with its text indexes:
// body (defaults, nil options), title (stemming), notes (K1 2, B ExactZero),
// and an integer index on tag.
func textCollection(t *testing.T, db *quiver.DB) *quiver.Collection {
	t.Helper()
	c := createCollection(t, db, "docs", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	ids, payloads, _, _ := textCorpus()
	// Half before the indexes (built over a sealed segment), half after.
	h := len(ids) / 2
	if err := c.Upsert(ids[:h], nil, payloads[:h]); err != nil {
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTextIndex("body", nil); err != nil {
		t.Fatalf("CreateTextIndex(body): %v", err)
	}
	opts := quiver.DefaultTextIndexOptions()
	opts.Stemming = true
	if err := c.CreateTextIndex("title", &opts); err != nil {
		t.Fatalf("CreateTextIndex(title): %v", err)
	}
	if err := c.CreateTextIndex("notes", &quiver.TextIndexOptions{K1: 2, B: quiver.ExactZero}); err != nil {
		t.Fatalf("CreateTextIndex(notes): %v", err)
	}
	if err := c.CreateFieldIndex("tag", quiver.Integer); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ids[h:], nil, payloads[h:]); err != nil {
		t.Fatal(err)
	}
	return c
}

// ---- tests ----------------------------------------------------------------------

// TestTextFilterBuilders: Text, TextAny and Phrase write the JSON of the
// grammar, and count what the hand-written JSON counts.
func TestTextFilterBuilders(t *testing.T) {
	cases := []struct {
		f    quiver.Filter
		want string
	}{
		{quiver.Text("body", "red fish"), `{"field": "body", "text": "red fish"}`},
		{quiver.TextAny("body", "red fish"), `{"field": "body", "text_any": "red fish"}`},
		{quiver.Phrase("body", "stone cat"), `{"field": "body", "phrase": "stone cat"}`},
		{quiver.Phrase("meta.title", `say "hi"`), `{"field": "meta.title", "phrase": "say \"hi\""}`},
		{quiver.Text("b", ""), `{"field": "b", "text": ""}`},
		{quiver.And(quiver.Text("body", "cat"), quiver.Not(quiver.TextAny("title", "fish boat"))),
			`{"and": [{"field": "body", "text": "cat"}, {"not": {"field": "title", "text_any": "fish boat"}}]}`},
	}
	for _, c := range cases {
		if got := c.f.String(); got != c.want || c.f.Err() != nil {
			t.Errorf("got %s (%v), want %s", got, c.f.Err(), c.want)
		}
	}
	if got := quiver.FieldText.String(); got != "text" {
		t.Errorf("FieldText.String() = %q", got)
	}
	for m, want := range map[quiver.TextMode]string{0: "any", quiver.MatchAny: "any", quiver.MatchAll: "all",
		quiver.MatchPhrase: "phrase", 9: "TextMode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("TextMode(%d).String() = %q, want %q", uint32(m), got, want)
		}
	}

	db, _ := openDB(t, nil)
	c := textCollection(t, db)
	for _, ch := range []struct {
		built quiver.Filter
		hand  string
	}{
		{quiver.Text("body", "cat stone"), `{"field":"body","text":"cat stone"}`},
		{quiver.TextAny("body", "cat stone"), `{"field":"body","text_any":"cat stone"}`},
		{quiver.Phrase("body", "stone cat"), `{"field":"body","phrase":"stone cat"}`},
		{quiver.Text("title", "fishes"), `{"field":"title","text":"fishes"}`}, // stemmed: 0 and 1 mod 4
	} {
		built, err := c.ScrollAll(ch.built.String())
		if err != nil {
			t.Fatal(err)
		}
		hand, err := c.ScrollAll(ch.hand)
		if err != nil {
			t.Fatal(err)
		}
		if len(built) == 0 || !slices.Equal(built, hand) {
			t.Errorf("%s: built %v, hand-written %v", ch.built, built, hand)
		}
	}
}

// TestTextSearch: BM25 rankings and scores against the formula, boosts over
// two fields, the index options (stemming; k1 and b; ExactZero), all and
// phrase modes against CountWhere and a brute force, a filter, payloads,
// and everything kept across a reopen.
func TestTextSearch(t *testing.T) {
	if d := quiver.DefaultTextIndexOptions(); d != (quiver.TextIndexOptions{K1: 1.2, B: 0.75}) {
		t.Errorf("DefaultTextIndexOptions() = %+v", d)
	}
	db, dir := openDB(t, nil)
	c := textCollection(t, db)
	ids, payloads, body, title := textCorpus()
	payloadOf := map[uint64][]byte{}
	for i, id := range ids {
		payloadOf[id] = payloads[i]
	}
	tag1 := func(id uint64) bool { return id < textN && id%3 == 1 }

	list, err := c.FieldIndexes()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[0].Field != "body" || list[0].Kind != quiver.FieldText || list[0].RAMBytes == 0 ||
		list[1].Kind != quiver.FieldText || list[2].Kind != quiver.FieldText || list[3].Kind != quiver.Integer {
		t.Fatalf("FieldIndexes: %+v", list)
	}

	bodyOnly := []quiver.TextField{{Name: "body"}} // Boost 0: the default 1
	for round := 0; round < 2; round++ {
		what := func(s string) string { return fmt.Sprintf("round %d: %s", round, s) }
		// One field, one term, each word; K 5 (the best) and K 100 (all).
		for _, w := range textWords {
			want := bm25(body, w, 1.2, 0.75)
			for _, k := range []int{5, 100} {
				hits, err := c.TextSearch(w, quiver.TextSearchParams{K: k, Fields: bodyOnly})
				if err != nil {
					t.Fatal(err)
				}
				checkRanking(t, what(fmt.Sprintf("body %q K %d", w, k)), hits, want, k, nil)
			}
		}
		// K 0: the default 10; the query is lowercased as the text was.
		hits, err := c.TextSearch("FISH", quiver.TextSearchParams{Fields: bodyOnly})
		if err != nil {
			t.Fatal(err)
		}
		checkRanking(t, what("body FISH, default K"), hits, bm25(body, "fish", 1.2, 0.75), 10, nil)

		// notes: the body's text, k1 2 and b exactly 0.
		for _, w := range []string{"fish", "stone"} {
			hits, err := c.TextSearch(w, quiver.TextSearchParams{K: 100, Fields: []quiver.TextField{{Name: "notes"}}})
			if err != nil {
				t.Fatal(err)
			}
			checkRanking(t, what("notes (k1 2, b 0) "+w), hits, bm25(body, w, 2, 0), 100, nil)
		}

		// A filter the integer index answers, and a text condition in it.
		hits, err = c.TextSearch("fish", quiver.TextSearchParams{K: 3, Fields: bodyOnly, Filter: quiver.Eq("tag", 1).String()})
		if err != nil {
			t.Fatal(err)
		}
		fish := bm25(body, "fish", 1.2, 0.75)
		checkRanking(t, what("body fish, tag 1"), hits, fish, 3, tag1)
		hits, err = c.TextSearch("fish", quiver.TextSearchParams{K: 100, Fields: bodyOnly,
			Filter: quiver.And(quiver.Eq("tag", 1), quiver.TextAny("body", "cat sky")).String()})
		if err != nil {
			t.Fatal(err)
		}
		checkRanking(t, what("body fish, tag 1 and cat or sky"), hits, fish, 100, func(id uint64) bool {
			return tag1(id) && (slices.Contains(body[id], "cat") || slices.Contains(body[id], "sky"))
		})

		// Two fields with boosts; title stems "fishes" to "fish". Payloads.
		two := []quiver.TextField{{Name: "body", Boost: 1}, {Name: "title", Boost: 2.5}}
		hits, err = c.TextSearch("fishes fish", quiver.TextSearchParams{K: 200, Fields: two, WithPayload: true})
		if err != nil {
			t.Fatal(err)
		}
		// body: "fishes" is not a term of its (unstemmed) text, "fish" is;
		// title: both stem to one term, "fish".
		want := addScores(bm25(body, "fish", 1.2, 0.75), bm25(title, "fish", 1.2, 0.75), 2.5)
		checkRanking(t, what("body + 2.5 title"), hits, want, 200, nil)
		for _, h := range hits {
			if string(h.Payload) != string(payloadOf[h.ID]) {
				t.Fatalf("%s: payload of %d is %s, want %s", what("payloads"), h.ID, h.Payload, payloadOf[h.ID])
			}
		}
		// Stemming alone: "fishes" finds the titles "fishing boats" and "fishes".
		hits, err = c.TextSearch("fishes", quiver.TextSearchParams{K: 200, Fields: []quiver.TextField{{Name: "title"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != textN/2 {
			t.Fatalf("%s: %d hits", what("title fishes"), len(hits))
		}
		for _, h := range hits {
			if h.ID >= textN || h.ID%4 > 1 || h.Payload != nil {
				t.Fatalf("%s: hit %+v", what("title fishes"), h)
			}
		}
		// Boost ExactZero: title matches but adds nothing.
		hits, err = c.TextSearch("fish", quiver.TextSearchParams{K: 200,
			Fields: []quiver.TextField{{Name: "body"}, {Name: "title", Boost: quiver.ExactZero}}})
		if err != nil {
			t.Fatal(err)
		}
		titleOnly := 0
		for _, h := range hits {
			if !near(float64(h.Score), fish[h.ID]) {
				t.Fatalf("%s: hit %+v, want score %g", what("title boost 0"), h, fish[h.ID])
			}
			if fish[h.ID] == 0 {
				titleOnly++
			}
		}
		if titleOnly == 0 || len(hits) != len(addScores(fish, bm25(title, "fish", 1.2, 0.75), 1)) {
			t.Fatalf("%s: %d hits, %d from the title only", what("title boost 0"), len(hits), titleOnly)
		}

		// All terms and phrase: the hits are the points CountWhere and
		// ScrollAll find with the same text condition, and a brute force.
		for _, m := range []struct {
			mode  quiver.TextMode
			query string
			cond  quiver.Filter
			match func(toks []string) bool
		}{
			{quiver.MatchAll, "cat stone", quiver.Text("body", "cat stone"), func(toks []string) bool {
				return slices.Contains(toks, "cat") && slices.Contains(toks, "stone")
			}},
			{quiver.MatchPhrase, "stone cat", quiver.Phrase("body", "stone cat"), func(toks []string) bool {
				return strings.Contains(" "+strings.Join(toks, " ")+" ", " stone cat ")
			}},
			{quiver.MatchAny, "cat stone", quiver.TextAny("body", "cat stone"), func(toks []string) bool {
				return slices.Contains(toks, "cat") || slices.Contains(toks, "stone")
			}},
		} {
			name := what(fmt.Sprintf("%v %q", m.mode, m.query))
			hits, err := c.TextSearch(m.query, quiver.TextSearchParams{K: 1000, Mode: m.mode, Fields: bodyOnly})
			if err != nil {
				t.Fatal(err)
			}
			n, err := c.CountWhere(m.cond.String())
			if err != nil {
				t.Fatal(err)
			}
			scrolled, err := c.ScrollAll(m.cond.String())
			if err != nil {
				t.Fatal(err)
			}
			var brute []uint64
			for id, toks := range body {
				if m.match(toks) {
					brute = append(brute, id)
				}
			}
			slices.Sort(brute)
			got := hitIDs(hits)
			slices.Sort(got)
			if len(brute) == 0 || len(hits) != n || !slices.Equal(got, scrolled) || !slices.Equal(got, brute) {
				t.Fatalf("%s: %d hits %v, CountWhere %d, ScrollAll %v, brute force %v", name, len(hits), got, n, scrolled, brute)
			}
			// Scores: the sum of the query terms' BM25 (each term once).
			sum := addScores(bm25(body, "cat", 1.2, 0.75), bm25(body, "stone", 1.2, 0.75), 1)
			for _, h := range hits {
				if !near(float64(h.Score), sum[h.ID]) {
					t.Fatalf("%s: hit %+v, want score %g", name, h, sum[h.ID])
				}
			}
		}
		// Queries without terms find nothing, without error.
		for _, q := range []string{"", " ... ", "zebra"} {
			if hits, err := c.TextSearch(q, quiver.TextSearchParams{Fields: bodyOnly}); err != nil || len(hits) != 0 {
				t.Fatalf("%s: TextSearch(%q) = %v, %v", what("no terms"), q, hits, err)
			}
		}

		if round == 0 {
			// Reopen: the indexes and their options come back.
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
			t.Cleanup(func() { db2.Close() })
			if c, err = db2.OpenCollection("docs"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if l, err := c.FieldIndexes(); err != nil || len(l) != 4 || l[1].Field != "title" || l[1].Kind != quiver.FieldText {
				t.Fatalf("after the reopen: FieldIndexes %+v, %v", l, err)
			}
		}
	}
}

// TestTextErrors: each misuse fails with its error kind and changes nothing.
func TestTextErrors(t *testing.T) {
	db, _ := openDB(t, nil)
	c := textCollection(t, db)
	body := []quiver.TextField{{Name: "body"}}
	search := func(q string, p quiver.TextSearchParams) error {
		hits, err := c.TextSearch(q, p)
		if err == nil {
			t.Errorf("TextSearch(%q, %+v): %d hits, no error", q, p, len(hits))
		}
		return err
	}

	e := mustCode(t, "field without a text index", search("x", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "tag"}}}), quiver.ErrInvalidArgument)
	if !strings.Contains(e.Message, "has no text index") {
		t.Errorf("no text index: %q", e.Message)
	}
	e = mustCode(t, "no fields", search("x", quiver.TextSearchParams{}), quiver.ErrInvalidArgument)
	if !strings.Contains(e.Message, "nfields is 0") {
		t.Errorf("no fields: %q", e.Message)
	}
	mustCode(t, "empty field list", search("x", quiver.TextSearchParams{Fields: []quiver.TextField{}}), quiver.ErrInvalidArgument)
	for _, boost := range []float32{-1, float32(math.NaN()), float32(math.Inf(1))} {
		e = mustCode(t, fmt.Sprintf("boost %v", boost),
			search("x", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "body", Boost: boost}}}), quiver.ErrInvalidArgument)
		if !strings.Contains(e.Message, "boost") {
			t.Errorf("boost %v: %q", boost, e.Message)
		}
	}
	mustCode(t, "field named twice", search("x", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "body"}, {Name: "body", Boost: 2}}}), quiver.ErrInvalidArgument)
	mustCode(t, "empty field name", search("x", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: ""}}}), quiver.ErrInvalidArgument)
	e = mustCode(t, "K -1", search("x", quiver.TextSearchParams{K: -1, Fields: body}), quiver.ErrInvalidArgument)
	if !strings.Contains(e.Message, "TextSearchParams.K is -1") {
		t.Errorf("K -1: %q", e.Message)
	}
	mustCode(t, "K 100001", search("x", quiver.TextSearchParams{K: 100001, Fields: body}), quiver.ErrInvalidArgument)
	e = mustCode(t, "mode 7", search("x", quiver.TextSearchParams{Mode: 7, Fields: body}), quiver.ErrInvalidArgument)
	if !strings.Contains(e.Message, "mode is 7") {
		t.Errorf("mode 7: %q", e.Message)
	}
	mustCode(t, "bad filter", search("x", quiver.TextSearchParams{Fields: body, Filter: `{"field": "body", "text": 3}`}), quiver.ErrInvalidArgument)
	mustCode(t, "query not UTF-8", search("\xff", quiver.TextSearchParams{Fields: body}), quiver.ErrInvalidArgument)

	// Index options out of range.
	for _, o := range []quiver.TextIndexOptions{{K1: -1}, {K1: float32(math.NaN())}, {K1: 1001}, {B: 2}, {B: -0.5}} {
		e = mustCode(t, fmt.Sprintf("options %+v", o), c.CreateTextIndex("other", &o), quiver.ErrInvalidArgument)
		if !strings.Contains(e.Message, "options.k1") && !strings.Contains(e.Message, "options.b") {
			t.Errorf("options %+v: %q", o, e.Message)
		}
	}
	e = mustCode(t, "k1 -1", c.CreateTextIndex("other", &quiver.TextIndexOptions{K1: -1}), quiver.ErrInvalidArgument)
	if !strings.Contains(e.Message, "options.k1 is -1") {
		t.Errorf("k1 -1: %q", e.Message)
	}
	mustCode(t, "bad path", c.CreateTextIndex("a..b", nil), quiver.ErrInvalidArgument)
	mustCode(t, "second text index", c.CreateTextIndex("body", nil), quiver.ErrAlreadyExists)
	mustCode(t, "second text index as a field index", c.CreateFieldIndex("body", quiver.FieldText), quiver.ErrAlreadyExists)
	mustCode(t, "second text index with options", c.CreateTextIndex("title", &quiver.TextIndexOptions{Stemming: true}), quiver.ErrAlreadyExists)
	// A value index and a text index on one field; FieldText through
	// CreateFieldIndex.
	if err := c.CreateFieldIndex("body", quiver.Keyword); err != nil {
		t.Fatalf("a keyword index next to the text index: %v", err)
	}
	if err := c.CreateFieldIndex("other", quiver.FieldText); err != nil {
		t.Fatalf("CreateFieldIndex(FieldText): %v", err)
	}
	if l, err := c.FieldIndexes(); err != nil || len(l) != 6 || l[5].Field != "other" || l[5].Kind != quiver.FieldText {
		t.Fatalf("FieldIndexes: %+v, %v", l, err)
	}

	// Drops: the value index and the text index apart; twice is NotFound.
	if err := c.DropFieldIndex("body"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, "value index dropped twice", c.DropFieldIndex("body"), quiver.ErrNotFound)
	if err := c.DropTextIndex("body"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, "text index dropped twice", c.DropTextIndex("body"), quiver.ErrNotFound)
	mustCode(t, "DropFieldIndex of a text index", c.DropFieldIndex("notes"), quiver.ErrNotFound)
	mustCode(t, "DropTextIndex of a value index", c.DropTextIndex("tag"), quiver.ErrNotFound)
	mustCode(t, "search of the dropped index", search("fish", quiver.TextSearchParams{Fields: body}), quiver.ErrInvalidArgument)
	// Without an index, text conditions are evaluated on the payloads.
	_, _, terms, _ := textCorpus()
	brute := 0
	for _, toks := range terms {
		if strings.Contains(" "+strings.Join(toks, " ")+" ", " stone cat ") {
			brute++
		}
	}
	if n, err := c.CountWhere(quiver.Phrase("body", "stone cat").String()); err != nil || n != brute || n == 0 {
		t.Errorf("CountWhere(phrase) without the index = %d, %v; want %d", n, err, brute)
	}
	if hits, err := c.TextSearch("fish", quiver.TextSearchParams{Fields: []quiver.TextField{{Name: "title"}}}); err != nil || len(hits) == 0 {
		t.Errorf("the other indexes after the drops: %v, %v", hits, err)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	mustCode(t, "TextSearch after Close", search("fish", quiver.TextSearchParams{Fields: body}), quiver.ErrClosed)
	mustCode(t, "CreateTextIndex after Close", c.CreateTextIndex("x", nil), quiver.ErrClosed)
	mustCode(t, "DropTextIndex after Close", c.DropTextIndex("title"), quiver.ErrClosed)
}

// ExampleCollection_TextSearch: a text index, a BM25 search over two
// fields, and a phrase condition as a filter.
func ExampleCollection_TextSearch() {
	dir, _ := os.MkdirTemp("", "quiver-text-example-")
	defer os.RemoveAll(dir)
	db, err := quiver.Open(filepath.Join(dir, "db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	docs, err := db.CreateCollection("docs", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer docs.Close()
	err = docs.UpsertPoints([]quiver.Point{
		{ID: 1, Payload: map[string]any{"title": "Fishing boats", "body": "boats and nets at dawn"}},
		{ID: 2, Payload: map[string]any{"title": "Harbour", "body": "the fishing fleet comes home"}},
		{ID: 3, Payload: map[string]any{"title": "Stones", "body": "grey stones on the shore"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := quiver.DefaultTextIndexOptions()
	opts.Stemming = true // "fishes" matches "fishing"
	for _, f := range []string{"title", "body"} {
		if err := docs.CreateTextIndex(f, &opts); err != nil {
			fmt.Println(err)
			return
		}
	}
	hits, err := docs.TextSearch("fishes", quiver.TextSearchParams{
		K:      10,
		Fields: []quiver.TextField{{Name: "title", Boost: 2}, {Name: "body"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hits {
		fmt.Printf("%d %.3f\n", h.ID, h.Score)
	}
	n, _ := docs.CountWhere(quiver.Phrase("body", "fishing fleet").String())
	fmt.Println(n)
	// Output:
	// 1 1.629
	// 2 0.981
	// 1
}
