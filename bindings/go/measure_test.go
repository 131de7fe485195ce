//go:build quiverbench

// The FFI overhead of the Go binding, measured in one run against direct
// cgo calls of the same C function on the same collection. Not part of the
// normal tests; run from bindings/go:
//
//	GOTOOLCHAIN=local GOPROXY=off go test -tags quiverbench -run TestMeasureFFI -v -timeout 60m .
//	GOTOOLCHAIN=local GOPROXY=off go test -tags quiverbench -run '^$' -bench SearchSingle .
//
// QUIVER_WORDNET names the full WordNet data (default ../../../shared/data/wordnet).

package quiver

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func wordnetDir() string {
	if d := os.Getenv("QUIVER_WORDNET"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "data", "wordnet")
}

func loadF16(tb testing.TB, file string) []float32 {
	raw, err := os.ReadFile(file)
	if err != nil {
		tb.Skipf("no WordNet data: %v (set QUIVER_WORDNET)", err)
	}
	out := make([]float32, len(raw)/2)
	for i := range out {
		h := binary.LittleEndian.Uint16(raw[2*i:])
		sign, exp, mant := uint32(h>>15)<<31, uint32(h>>10)&0x1f, uint32(h)&0x3ff
		switch {
		case exp == 0:
			v := float32(mant) / (1 << 24)
			if sign != 0 {
				v = -v
			}
			out[i] = v
		case exp == 31:
			out[i] = math.Float32frombits(sign | 0xff<<23 | mant<<13)
		default:
			out[i] = math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
		}
	}
	return out
}

// best returns the smallest of reps timings of f.
func best(reps int, f func()) time.Duration {
	var times []time.Duration
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		f()
		times = append(times, time.Since(t0))
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	return times[0]
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func TestMeasureFFI(t *testing.T) {
	const dim, k, ef, reps = 384, 10, 64, 30
	dir := wordnetDir()
	base := loadF16(t, filepath.Join(dir, "base.f16"))
	queries := loadF16(t, filepath.Join(dir, "queries.f16"))
	n, nq := len(base)/dim, len(queries)/dim

	db, err := Open(filepath.Join(t.TempDir(), "db"), &Options{Sync: SyncNever})
	must(t, err)
	defer db.Close()
	c, err := db.CreateCollection("wordnet", CollectionConfig{Dimension: dim, Metric: Cosine, M: 16, EfConstruction: 200})
	must(t, err)
	defer c.Close()
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i)
	}
	t0 := time.Now()
	must(t, c.UpsertFlat(ids, base, nil))
	t.Logf("built %d x %d (cosine, m 16, ef_construction 200) in %.1f s", n, dim, time.Since(t0).Seconds())

	// 1. One batch call with all queries, ef 64, k 10, best of reps; the
	// three variants interleaved in each repetition.
	opts := SearchOptions{K: k, Ef: ef}
	outIDs := make([]uint64, nq*k)
	outScores := make([]float32, nq*k)
	counts := make([]uint32, nq)
	d := newDirectParams(k, ef)
	defer d.free()
	ways := []func(){
		func() { // direct cgo call
			if rc := directSearch(c, d, queries, nq, dim, outIDs, outScores, counts); rc != 0 {
				t.Fatalf("qv_collection_search: %d", rc)
			}
		},
		func() { must(t, c.SearchInto(queries, dim, opts, outIDs, outScores, counts)) },
		func() {
			res, err := c.SearchBatchFlat(queries, dim, opts)
			must(t, err)
			res.Close()
		},
	}
	times := make([][]time.Duration, len(ways))
	for r := 0; r < reps; r++ { // the order rotates from one repetition to the next
		for j := range ways {
			w := (r + j) % len(ways)
			times[w] = append(times[w], best(1, ways[w]))
		}
	}
	minOf := func(ts []time.Duration) time.Duration {
		sort.Slice(ts, func(a, b int) bool { return ts[a] < ts[b] })
		return ts[0]
	}
	median := func(ts []time.Duration) time.Duration {
		sort.Slice(ts, func(a, b int) bool { return ts[a] < ts[b] })
		return ts[len(ts)/2]
	}
	bD, bI, bR := minOf(times[0]), minOf(times[1]), minOf(times[2])
	mD, mI, mR := median(times[0]), median(times[1]), median(times[2])
	t.Logf("batch search, %d queries in one call (k %d, ef %d), best (median) of %d:", nq, k, ef, reps)
	t.Logf("  direct cgo qv_collection_search:          %7.2f ms (%7.2f)  %.0f QPS", ms(bD), ms(mD), float64(nq)/bD.Seconds())
	t.Logf("  Go SearchInto (caller arrays):            %7.2f ms (%7.2f)  ratio %.3f (%.3f)", ms(bI), ms(mI), bI.Seconds()/bD.Seconds(), mI.Seconds()/mD.Seconds())
	t.Logf("  Go SearchBatchFlat (owned Results)+Close: %7.2f ms (%7.2f)  ratio %.3f (%.3f)", ms(bR), ms(mR), bR.Seconds()/bD.Seconds(), mR.Seconds()/mD.Seconds())

	// 2. Single-query calls on the same collection, all queries one by
	// one: in chunks of 100 queries, each timed 10 times alternating Go and
	// direct, best of each summed (robust to a busy machine).
	var sG, sD time.Duration
	for lo := 0; lo < nq; lo += 100 {
		hi := min(lo+100, nq)
		var tGo, tDirect []time.Duration
		for r := 0; r < 10; r++ {
			tGo = append(tGo, best(1, func() {
				for i := lo; i < hi; i++ {
					_, err := c.Search(queries[i*dim:(i+1)*dim], opts)
					must(t, err)
				}
			}))
			tDirect = append(tDirect, best(1, func() {
				for i := lo; i < hi; i++ {
					if rc := directSearch(c, d, queries[i*dim:(i+1)*dim], 1, dim, outIDs[:k], outScores[:k], counts[:1]); rc != 0 {
						t.Fatalf("qv_collection_search: %d", rc)
					}
				}
			}))
		}
		sG += minOf(tGo)
		sD += minOf(tDirect)
	}
	t.Logf("the same %d queries one call each (k %d, ef %d), best of 10 per 100 queries:", nq, k, ef)
	t.Logf("  direct cgo qv_collection_search:  %8.2f us per query", float64(sD.Nanoseconds())/1e3/float64(nq))
	t.Logf("  Go Search:                        %8.2f us per query  ratio %.4f", float64(sG.Nanoseconds())/1e3/float64(nq), sG.Seconds()/sD.Seconds())

	// 3. Per-call overhead of one single-query search on a tiny collection
	// (engine time small): Go Search vs direct cgo vs a loop inside C.
	tiny, err := db.CreateCollection("tiny", CollectionConfig{Dimension: 4, Metric: Cosine, M: 8, EfConstruction: 32})
	must(t, err)
	defer tiny.Close()
	must(t, tiny.UpsertFlat(ids[:16], base[:16*4], nil))
	q := []float32{0.1, 0.2, 0.3, 0.4}
	ns := singleQueryOverhead(t, tiny, q, 50_000, 20)
	t.Logf("single-query search on a 16-point, 4-dim collection (k %d), ns per call, best of 20 x 50k:", k)
	for _, name := range []string{"C loop (no cgo)", "direct cgo call", "Go SearchInto", "Go Search"} {
		t.Logf("  %-16s %7.0f ns   (%+.0f ns vs the direct cgo call)", name, ns[name], ns[name]-ns["direct cgo call"])
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// singleQueryOverhead returns ns per call of each way to run one search.
func singleQueryOverhead(t testing.TB, c *Collection, q []float32, iters, reps int) map[string]float64 {
	const k = 10
	opts := SearchOptions{K: k}
	d := newDirectParams(k, 0)
	defer d.free()
	ids := make([]uint64, k)
	scores := make([]float32, k)
	counts := make([]uint32, 1)
	ways := map[string]func(){
		"C loop (no cgo)": func() {
			if rc := cLoop(c, d, q, iters, ids, scores, counts); rc != 0 {
				t.Fatalf("C loop: %d", rc)
			}
		},
		"direct cgo call": func() {
			for i := 0; i < iters; i++ {
				if rc := directSearch(c, d, q, 1, len(q), ids, scores, counts); rc != 0 {
					t.Fatalf("direct: %d", rc)
				}
			}
		},
		"Go SearchInto": func() {
			for i := 0; i < iters; i++ {
				if err := c.SearchInto(q, len(q), opts, ids, scores, counts); err != nil {
					t.Fatal(err)
				}
			}
		},
		"Go Search": func() {
			for i := 0; i < iters; i++ {
				if _, err := c.Search(q, opts); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	order := []string{"C loop (no cgo)", "direct cgo call", "Go SearchInto", "Go Search"}
	bestNs := map[string]float64{}
	for r := 0; r < reps; r++ { // interleaved repetitions
		for _, name := range order {
			d := best(1, ways[name])
			v := float64(d.Nanoseconds()) / float64(iters)
			if old, ok := bestNs[name]; !ok || v < old {
				bestNs[name] = v
			}
		}
	}
	return bestNs
}

// Benchmarks of one single-query search on a tiny collection, per way.
func BenchmarkSearchSingle(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "db"), &Options{Sync: SyncNever})
	must(b, err)
	defer db.Close()
	c, err := db.CreateCollection("tiny", CollectionConfig{Dimension: 4, M: 8, EfConstruction: 32})
	must(b, err)
	defer c.Close()
	var ids []uint64
	var vecs []float32
	for i := 0; i < 16; i++ {
		ids = append(ids, uint64(i))
		vecs = append(vecs, float32(i+1), float32(i%3), float32(i%5), 1)
	}
	must(b, c.UpsertFlat(ids, vecs, nil))
	q := []float32{0.1, 0.2, 0.3, 0.4}
	const k = 10
	d := newDirectParams(k, 0)
	defer d.free()
	outIDs := make([]uint64, k)
	scores := make([]float32, k)
	counts := make([]uint32, 1)
	b.Run("C-loop", func(b *testing.B) {
		b.ReportAllocs()
		if rc := cLoop(c, d, q, b.N, outIDs, scores, counts); rc != 0 {
			b.Fatal(rc)
		}
	})
	b.Run("direct-cgo", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			directSearch(c, d, q, 1, 4, outIDs, scores, counts)
		}
	})
	b.Run("Go-SearchInto", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := c.SearchInto(q, 4, SearchOptions{K: k}, outIDs, scores, counts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Go-Search", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Search(q, SearchOptions{K: k}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
