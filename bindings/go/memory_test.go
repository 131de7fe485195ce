package quiver_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// rss returns the resident set size of the process in bytes, from
// /proc/self/statm (the C heap of the library is not in runtime.MemStats).
func rss(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(bytes.TrimSpace(raw)), &size, &resident); err != nil {
		t.Fatalf("parse /proc/self/statm %q: %v", raw, err)
	}
	return resident * int64(os.Getpagesize())
}

func settledRSS(t *testing.T) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return rss(t)
}

// 100,000 search calls (single queries, batches with payloads read and
// freed, caller arrays) must not grow the process: every result the library
// hands out is freed.
func TestNoMemoryGrowth(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	c := createCollection(t, db, "mem", quiver.CollectionConfig{Dimension: 16, M: 8, EfConstruction: 40})
	const n = 2000
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = []byte(fmt.Sprintf(`{"i":%d,"text":"point number %d with some payload text"}`, i, i))
	}
	if err := c.Upsert(seq(0, n), randomVectors(7, n, 16), payloads); err != nil {
		t.Fatal(err)
	}
	queries := randomVectors(8, 64, 16)
	ids := make([]uint64, 10)
	scores := make([]float32, 10)
	counts := make([]uint32, 1)
	call := func(i int) {
		q := queries[i%len(queries)]
		switch i % 3 {
		case 0:
			if _, err := c.Search(q, quiver.SearchOptions{K: 10, WithPayload: i%2 == 0}); err != nil {
				t.Fatal(err)
			}
		case 1:
			r, err := c.SearchBatch(queries[i%60:][:4], quiver.SearchOptions{K: 10, WithPayload: true})
			if err != nil {
				t.Fatal(err)
			}
			_ = r.Hits(3)
			_ = r.Payload(1, 9)
			r.Close()
		case 2:
			if err := c.SearchInto(q, 16, quiver.SearchOptions{K: 10, Filter: `{"field": "i", "lt": 1000}`}, ids, scores, counts); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 10_000; i++ { // warm up: caches, pools, thread scratch
		call(i)
	}
	before := settledRSS(t)
	const calls = 100_000
	for i := 0; i < calls; i++ {
		call(i)
	}
	after := settledRSS(t)
	growth := after - before
	t.Logf("RSS %.1f MB before, %.1f MB after %d search calls: growth %+.2f MB",
		float64(before)/(1<<20), float64(after)/(1<<20), calls, float64(growth)/(1<<20))
	if growth > 20<<20 {
		t.Errorf("RSS grew by %.1f MB over %d search calls", float64(growth)/(1<<20), calls)
	}
}
