package quiver_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

const concDim = 16

// Sixteen goroutines on one collection: eight search (three ways), eight
// upsert new points and read them back, all at once.
func TestConcurrentSearchAndUpsert(t *testing.T) {
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	c := createCollection(t, db, "conc", quiver.CollectionConfig{Dimension: concDim, M: 8, EfConstruction: 40})
	const initial = 1000
	if err := c.Upsert(seq(0, initial), randomVectors(1, initial, concDim), nil); err != nil {
		t.Fatal(err)
	}
	const goroutines, rounds, batch = 16, 60, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			errs <- concurrentWorker(c, g, rounds, batch)
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	want := initial + goroutines/2*rounds*batch
	if n, err := c.Count(); err != nil || n != want {
		t.Errorf("Count = %d, %v; want %d", n, err, want)
	}
}

func concurrentWorker(c *quiver.Collection, g, rounds, batch int) error {
	queries := randomVectors(int64(100+g), rounds, concDim)
	if g%2 == 1 { // writer: new ids g*1e6 + ...
		for r := 0; r < rounds; r++ {
			ids := seq(g*1_000_000+r*batch, batch)
			payload := []byte(fmt.Sprintf(`{"g":%d,"r":%d}`, g, r))
			payloads := make([][]byte, batch)
			for i := range payloads {
				payloads[i] = payload
			}
			if err := c.Upsert(ids, randomVectors(int64(g*rounds+r), batch, concDim), payloads); err != nil {
				return fmt.Errorf("writer %d: %w", g, err)
			}
			recs, err := c.Get(ids...)
			if err != nil {
				return fmt.Errorf("writer %d: %w", g, err)
			}
			for _, rec := range recs {
				if !rec.Found || string(rec.Payload) != string(payload) {
					return fmt.Errorf("writer %d: read back %+v", g, rec)
				}
			}
		}
		return nil
	}
	for r, q := range queries { // reader
		switch r % 3 {
		case 0:
			hits, err := c.Search(q, quiver.SearchOptions{K: 5})
			if err != nil || len(hits) != 5 {
				return fmt.Errorf("reader %d: Search: %d hits, %v", g, len(hits), err)
			}
		case 1:
			res, err := c.SearchBatch(queries[:4], quiver.SearchOptions{K: 3, WithPayload: true})
			if err != nil {
				return fmt.Errorf("reader %d: SearchBatch: %w", g, err)
			}
			for i := 0; i < res.Len(); i++ {
				if len(res.Hits(i)) != 3 {
					return fmt.Errorf("reader %d: %d hits", g, len(res.Hits(i)))
				}
				_ = res.Payload(i, 0)
			}
			res.Close()
		case 2:
			ids := make([]uint64, 2*4)
			scores := make([]float32, 2*4)
			counts := make([]uint32, 2)
			flat := append(append([]float32{}, queries[0]...), q...)
			if err := c.SearchInto(flat, concDim, quiver.SearchOptions{K: 4, Ef: 32}, ids, scores, counts); err != nil {
				return fmt.Errorf("reader %d: SearchInto: %w", g, err)
			}
			if counts[0] != 4 || counts[1] != 4 {
				return fmt.Errorf("reader %d: counts %v", g, counts)
			}
		}
	}
	return nil
}

// Goroutines busy inside calls while the collection handle, then the
// database, is closed: every call either succeeds or returns ErrClosed,
// nothing crashes, and Close returns once the calls in flight are done.
func TestCloseWhileInFlight(t *testing.T) {
	for _, what := range []string{"collection", "database"} {
		t.Run(what, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			db, err := quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c, err := db.CreateCollection("busy", quiver.CollectionConfig{Dimension: concDim, M: 8, EfConstruction: 40})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Upsert(seq(0, 3000), randomVectors(2, 3000, concDim), nil); err != nil {
				t.Fatal(err)
			}
			queries := randomVectors(3, 32, concDim)

			var inFlight, calls atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for g := 0; g < 16; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					errs <- busyLoop(db, c, g, queries, &inFlight, &calls)
				}(g)
			}
			// Close once calls are running.
			deadline := time.Now().Add(10 * time.Second)
			for calls.Load() < 200 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			busy := inFlight.Load()
			var closeErr error
			if what == "collection" {
				closeErr = c.Close()
			} else {
				closeErr = db.Close()
			}
			if closeErr != nil {
				t.Errorf("Close: %v", closeErr)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			t.Logf("%d calls in flight when Close was called, %d calls in all", busy, calls.Load())
		})
	}
}

// busyLoop calls the collection (and the database) until a call returns
// ErrClosed; any other error is returned.
func busyLoop(db *quiver.DB, c *quiver.Collection, g int, queries [][]float32, inFlight, calls *atomic.Int64) error {
	for i := 0; ; i++ {
		inFlight.Add(1)
		var err error
		switch (g + i) % 6 {
		case 0:
			_, err = c.Search(queries[i%len(queries)], quiver.SearchOptions{K: 10})
		case 1:
			var r *quiver.Results
			r, err = c.SearchBatch(queries, quiver.SearchOptions{K: 10, Exact: true})
			if err == nil {
				r.Close()
			}
		case 2:
			err = c.Upsert([]uint64{uint64(100_000 + g*1000 + i%1000)}, queries[i%len(queries):][:1], nil)
		case 3:
			_, err = c.Get(1, 2, 3)
		case 4:
			_, err = c.Count()
		case 5:
			_, err = db.ListCollections()
		}
		inFlight.Add(-1)
		calls.Add(1)
		if errors.Is(err, quiver.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("goroutine %d, call %d: %w", g, i, err)
		}
		if i > 1_000_000 {
			return fmt.Errorf("goroutine %d: never saw ErrClosed", g)
		}
	}
}

// Many goroutines closing the same handles at once, and reading shared
// Results while one closes them.
func TestConcurrentClose(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "cc", quiver.CollectionConfig{Dimension: 4})
	if err := c.Upsert(seq(1, 20), randomVectors(4, 20, 4), nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.SearchBatch(randomVectors(5, 8, 4), quiver.SearchOptions{K: 5, WithPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if n := res.Len(); n > 0 {
					if hits := res.Hits(i % n); hits != nil && len(hits) != 5 {
						t.Errorf("%d hits", len(hits))
					}
				}
				if g == 0 && i == 100 {
					res.Close()
				}
			}
			res.Close()
			c.Close()
			db.Close()
		}(g)
	}
	wg.Wait()
	if _, err := c.Count(); !errors.Is(err, quiver.ErrClosed) {
		t.Errorf("Count after Close: %v", err)
	}
}

// A DB and a collection dropped without Close are released by their
// finalizers: the directory lock goes away.
func TestFinalizerReleases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	func() {
		db, err := quiver.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateCollection("forgotten", quiver.CollectionConfig{Dimension: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Upsert([]uint64{1}, [][]float32{{1, 2}}, nil); err != nil {
			t.Fatal(err)
		}
	}()
	var db *quiver.DB
	var err error
	for i := 0; i < 50; i++ {
		runtime.GC()
		if db, err = quiver.Open(dir, nil); !errors.Is(err, quiver.ErrLocked) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("reopen after the handles became garbage: %v", err)
	}
	defer db.Close()
	c, err := db.OpenCollection("forgotten")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, _ := c.Count(); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}
