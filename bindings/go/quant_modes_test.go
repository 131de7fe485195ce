package quiver_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// The storage modes of ABI 3 (f16, bf16, binary, PQ) and TrainQuantizer,
// on the slice of the WordNet sample the SQ8 tests use (loadSQ8Data:
// sq8Points 384-dimensional points, sq8Queries queries, top sq8K).

// newModes are the storage modes ABI 3 added, with the recall@sq8K each
// must reach with its default oversampling, rescored. (Loose: a sanity
// check that the codes find the neighbours, not a recall benchmark.)
var newModes = []struct {
	storage quiver.Storage
	recall  float64
}{
	{quiver.StorageF16, 0.9},
	{quiver.StorageBF16, 0.9},
	{quiver.StorageBinary, 0.9},
	{quiver.StoragePQ, 0.9},
}

func TestNewStorageStrings(t *testing.T) {
	for s, want := range map[quiver.Storage]string{
		quiver.StorageF16:    "f16",
		quiver.StorageBF16:   "bf16",
		quiver.StorageBinary: "binary",
		quiver.StoragePQ:     "pq",
		quiver.Storage(6):    "Storage(6)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Storage(%d).String() = %q, want %q", uint32(s), got, want)
		}
	}
	// The C constants (include/quiver.h).
	if quiver.StorageF16 != 2 || quiver.StorageBF16 != 3 || quiver.StorageBinary != 4 || quiver.StoragePQ != 5 {
		t.Errorf("storage constants %d %d %d %d, want 2 3 4 5",
			quiver.StorageF16, quiver.StorageBF16, quiver.StorageBinary, quiver.StoragePQ)
	}
	if quiver.HeaderABIVersion != 4 || quiver.ABIVersion() != quiver.HeaderABIVersion {
		t.Errorf("ABI version: header %d, library %d, want 4", quiver.HeaderABIVersion, quiver.ABIVersion())
	}
}

// quantCollection creates collection name with cfg (dimension and metric
// filled in: the sample's, cosine), upserts the sample's points and
// optimizes it into sealed segments, whose searches walk the codes.
func quantCollection(t *testing.T, db *quiver.DB, name string, cfg quiver.CollectionConfig, d quantData) *quiver.Collection {
	t.Helper()
	cfg.Dimension, cfg.Metric = wordnetDim, quiver.Cosine
	c := createCollection(t, db, name, cfg)
	if err := c.Upsert(seq(0, sq8Points), d.base, nil); err != nil {
		t.Fatalf("%s: Upsert: %v", name, err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatalf("%s: Optimize: %v", name, err)
	}
	if n := sealedSegments(t, name, c); n == 0 {
		t.Fatalf("%s: no sealed segment after Optimize", name)
	}
	return c
}

// sealedSegments returns the number of sealed segments of c, and fails the
// test unless they hold all the sample's points.
func sealedSegments(t *testing.T, what string, c *quiver.Collection) int {
	t.Helper()
	st, err := c.Stats()
	if err != nil {
		t.Fatalf("%s: Stats: %v", what, err)
	}
	n, points := 0, uint64(0)
	for _, s := range st.Segments {
		if s.Kind == quiver.SegmentSealed {
			n++
			points += s.Points
		}
	}
	if st.LivePoints != sq8Points || points != sq8Points {
		t.Fatalf("%s: %d live points, %d in sealed segments, want %d: %s", what, st.LivePoints, points, sq8Points, st.JSON)
	}
	return n
}

// codesBytes returns the disk bytes of the "codes" component of c (0 when
// it has none).
func codesBytes(t *testing.T, what string, c *quiver.Collection) uint64 {
	t.Helper()
	st, err := c.Stats()
	if err != nil {
		t.Fatalf("%s: Stats: %v", what, err)
	}
	for _, comp := range st.Components {
		if comp.Name == "codes" {
			return comp.DiskBytes
		}
	}
	return 0
}

// checkQuantConfig fails the test unless c reports storage and the PQ
// parameters want (subspaces, centroids).
func checkQuantConfig(t *testing.T, what string, c *quiver.Collection, storage quiver.Storage, subspaces, centroids int) {
	t.Helper()
	checkConfig(t, what, c, storage)
	cfg, err := c.Config()
	if err != nil {
		t.Fatalf("%s: Config: %v", what, err)
	}
	if cfg.PQSubspaces != subspaces || cfg.PQCentroids != centroids {
		t.Errorf("%s: Config PQSubspaces %d, PQCentroids %d; want %d, %d", what, cfg.PQSubspaces, cfg.PQCentroids, subspaces, centroids)
	}
}

// quantData is the sample's slice (loadSQ8Data) with the exact top sq8K of
// each query, computed once.
type quantData struct {
	sq8Data
	truth []map[uint64]bool
}

func loadQuantData(t *testing.T) quantData {
	t.Helper()
	d := quantData{sq8Data: loadSQ8Data(t)}
	d.truth = make([]map[uint64]bool, len(d.queries))
	for q := range d.truth {
		d.truth[q] = map[uint64]bool{}
		for _, id := range exactTopK(d.base, d.queries[q], sq8K) {
			d.truth[q][id] = true
		}
	}
	return d
}

// checkSearches runs every query on every search path with opts and fails
// the test unless each hit's score is its exact cosine (rescored) and the
// recall@sq8K against brute force reaches minRecall. It returns the lowest
// recall of the paths.
func checkSearches(t *testing.T, what string, c *quiver.Collection, d quantData, opts quiver.SearchOptions, minRecall float64) float64 {
	t.Helper()
	lowest := 1.0
	for _, p := range searchPaths {
		what := what + ": " + p.name + " " + optsString(opts)
		found := 0
		for q := range d.queries {
			hits, err := p.run(c, d.sq8Data, q, opts)
			if err != nil {
				t.Fatalf("%s, query %d: %v", what, q, err)
			}
			checkExactScores(t, what, d.sq8Data, q, hits)
			for _, h := range hits {
				if d.truth[q][h.ID] {
					found++
				}
			}
		}
		recall := float64(found) / float64(sq8K*len(d.queries))
		if recall < minRecall {
			t.Errorf("%s: recall@%d %.3f, want >= %.2f", what, sq8K, recall, minRecall)
		}
		if recall < lowest {
			lowest = recall
		}
	}
	return lowest
}

// progressLog records the calls of a TrainQuantizer progress callback.
type progressLog struct {
	mu         sync.Mutex
	done       []uint64
	totals     map[uint64]bool
	goroutines map[uint64]bool // the goroutine of each call
	inFlight   atomic.Int32
	overlap    atomic.Bool // two calls ran at once
}

// record notes one call.
func (l *progressLog) record(done, total uint64) {
	if l.inFlight.Add(1) != 1 {
		l.overlap.Store(true)
	}
	defer l.inFlight.Add(-1)
	g := goroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = append(l.done, done)
	if l.totals == nil {
		l.totals, l.goroutines = map[uint64]bool{}, map[uint64]bool{}
	}
	l.totals[total] = true
	l.goroutines[g] = true
}

// check fails the test unless the calls reported 1, 2, ..., total in this
// order, with the same total throughout, one call at a time, all on the
// goroutine that calls check (the one that called TrainQuantizer).
func (l *progressLog) check(t *testing.T, what string, total uint64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.overlap.Load() {
		t.Errorf("%s: two progress calls ran at once", what)
	}
	if len(l.totals) != 1 || !l.totals[total] {
		t.Errorf("%s: progress totals %v, want only %d", what, l.totals, total)
	}
	if uint64(len(l.done)) != total {
		t.Fatalf("%s: %d progress calls (done %v), want %d", what, len(l.done), l.done, total)
	}
	for i, d := range l.done {
		if d != uint64(i)+1 {
			t.Fatalf("%s: progress reported done %v, want 1..%d in order", what, l.done, total)
		}
	}
	if me := goroutineID(); len(l.goroutines) != 1 || !l.goroutines[me] {
		t.Errorf("%s: progress ran on goroutines %v, want only the caller's (%d)", what, l.goroutines, me)
	}
}

// goroutineID is the number of the running goroutine, from the first line
// of its stack trace ("goroutine 18 [running]:"). A test-only way to see
// which goroutine a callback runs on.
func goroutineID() uint64 {
	var buf [64]byte
	line := strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	id, err := strconv.ParseUint(line[:strings.IndexByte(line, ' ')], 10, 64)
	if err != nil {
		panic("goroutineID: cannot parse " + line)
	}
	return id
}

// Each new mode: Config reports it, searches with the default oversampling
// (and a larger one) return exact scores and find the neighbours on every
// search path, the codes are on disk, NoRescore returns the codes'
// estimates, TrainQuantizer retrains (one progress step per segment; PQ:
// per subspace), and mode and codes survive a reopen.
func TestQuantModesSearch(t *testing.T) {
	d := loadQuantData(t)
	dir := filepath.Join(t.TempDir(), "db")
	db, err := quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	names := map[string]quiver.Storage{}
	for _, m := range newModes {
		m := m
		name := "m-" + m.storage.String()
		names[name] = m.storage
		t.Run(m.storage.String(), func(t *testing.T) {
			c := quantCollection(t, db, name, quiver.CollectionConfig{Storage: m.storage}, d)
			checkQuantConfig(t, name, c, m.storage, 0, 256)
			if b := codesBytes(t, name, c); b == 0 {
				t.Errorf("%s: no codes on disk", name)
			}
			r := checkSearches(t, name, c, d, quiver.SearchOptions{K: sq8K}, m.recall)
			t.Logf("%s: recall@%d %.3f with the default oversampling", name, sq8K, r)
			checkSearches(t, name, c, d, quiver.SearchOptions{K: sq8K, Oversampling: 20}, m.recall)
			checkSearches(t, name, c, d, quiver.SearchOptions{K: sq8K, Exact: true}, 1)

			// Without rescoring: the codes' estimates, in order, not all
			// equal to the exact scores (the codes are what was walked).
			maxErr := 0.0
			for _, p := range searchPaths {
				opts := quiver.SearchOptions{K: sq8K, NoRescore: true}
				for q := range d.queries {
					hits, err := p.run(c, d.sq8Data, q, opts)
					if err != nil {
						t.Fatalf("%s: %s %s, query %d: %v", name, p.name, optsString(opts), q, err)
					}
					for _, e := range scoreErrors(t, name+": "+p.name, d.sq8Data, q, hits) {
						if e > maxErr {
							maxErr = e
						}
					}
				}
			}
			t.Logf("%s: largest score error without rescoring %.5f", name, maxErr)
			if maxErr <= exactTol && m.storage != quiver.StorageF16 { // f16's 11 bits may come that close
				t.Errorf("%s: NoRescore scores all within %g of the exact cosine: not the codes' estimates", name, exactTol)
			}

			// Retraining with the current parameters: one step per sealed
			// segment (PQ: per subspace, 48 for 384 dimensions).
			steps := uint64(sealedSegments(t, name, c))
			if m.storage == quiver.StoragePQ {
				steps *= 48
			}
			var log progressLog
			err := c.TrainQuantizer(quiver.TrainParams{}, func(done, total uint64) bool {
				log.record(done, total)
				return true
			})
			if err != nil {
				t.Fatalf("%s: TrainQuantizer: %v", name, err)
			}
			log.check(t, name+": TrainQuantizer", steps)
			checkQuantConfig(t, name+" retrained", c, m.storage, 0, 256)
			checkSearches(t, name+" retrained", c, d, quiver.SearchOptions{K: sq8K}, m.recall)
		})
	}

	// The modes and their codes survive a reopen.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range newModes {
		name := "m-" + m.storage.String()
		c, err := db.OpenCollection(name)
		if err != nil {
			t.Fatalf("reopen %s: %v", name, err)
		}
		checkQuantConfig(t, name+" reopened", c, m.storage, 0, 256)
		checkSearches(t, name+" reopened", c, d, quiver.SearchOptions{K: sq8K}, m.recall)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// The new modes take cosine, dot and euclidean, and are refused with
// Hamming, Jaccard and metadata-only collections (naming config.storage);
// PQ's parameters are checked at creation (naming the field); nothing is
// created.
func TestQuantModesRefused(t *testing.T) {
	db, _ := openDB(t, nil)
	type refusal struct {
		name string
		cfg  quiver.CollectionConfig
		want []string // in the message
	}
	var cases []refusal
	for _, m := range newModes {
		s := m.storage
		cases = append(cases,
			refusal{"hamming-" + s.String(), quiver.CollectionConfig{Dimension: 8, Metric: quiver.Hamming, Storage: s},
				[]string{"config.storage", s.String(), "hamming"}},
			refusal{"jaccard-" + s.String(), quiver.CollectionConfig{Dimension: 8, Metric: quiver.Jaccard, Storage: s},
				[]string{"config.storage", s.String(), "jaccard"}},
			refusal{"metadata-" + s.String(), quiver.CollectionConfig{Kind: quiver.KindMetadataOnly, Storage: s},
				[]string{"config.storage", s.String()}})
	}
	cases = append(cases,
		refusal{"pq-7", quiver.CollectionConfig{Dimension: wordnetDim, Storage: quiver.StoragePQ, PQSubspaces: 7},
			[]string{"config.pq_subspaces", "7", "384"}},
		refusal{"pq-over-dim", quiver.CollectionConfig{Dimension: 8, Storage: quiver.StoragePQ, PQSubspaces: 16},
			[]string{"config.pq_subspaces", "16"}},
		refusal{"pq-k1", quiver.CollectionConfig{Dimension: 8, Storage: quiver.StoragePQ, PQCentroids: 1},
			[]string{"config.pq_centroids", "1"}},
		refusal{"pq-k257", quiver.CollectionConfig{Dimension: 8, Storage: quiver.StoragePQ, PQCentroids: 257},
			[]string{"config.pq_centroids", "257"}},
		// Refused by the binding (no uint32).
		refusal{"pq-negative", quiver.CollectionConfig{Dimension: 8, Storage: quiver.StoragePQ, PQSubspaces: -2},
			[]string{"CollectionConfig.PQSubspaces", "-2"}},
		refusal{"pq-huge", quiver.CollectionConfig{Dimension: 8, Storage: quiver.StoragePQ, PQCentroids: 1 << 33},
			[]string{"CollectionConfig.PQCentroids"}},
	)
	for _, tc := range cases {
		c, err := db.CreateCollection(tc.name, tc.cfg)
		if err == nil {
			c.Close()
		}
		what := "CreateCollection " + tc.name
		qe := mustCode(t, what, err, quiver.ErrInvalidArgument)
		for _, w := range tc.want {
			if !strings.Contains(qe.Message, w) {
				t.Errorf("%s: message %q does not contain %q", what, qe.Message, w)
			}
		}
	}
	if names, err := db.ListCollections(); err != nil || len(names) != 0 {
		t.Errorf("ListCollections after the refusals = %q, %v; want none", names, err)
	}

	// Accepted: every new mode with dot and euclidean; PQ with explicit
	// subspaces and centroids, read back.
	for _, m := range newModes {
		for mname, metric := range map[string]quiver.Metric{"dot": quiver.Dot, "euclidean": quiver.Euclidean} {
			name := m.storage.String() + "-" + mname
			c := createCollection(t, db, name, quiver.CollectionConfig{Dimension: 8, Metric: metric, Storage: m.storage})
			if got, err := c.Config(); err != nil || got.Storage != m.storage || got.Metric != metric {
				t.Errorf("%s: Config = %+v, %v", name, got, err)
			}
		}
	}
	c := createCollection(t, db, "pq-4x16", quiver.CollectionConfig{Dimension: 8, Storage: quiver.StoragePQ, PQSubspaces: 4, PQCentroids: 16})
	if got, err := c.Config(); err != nil || got.Storage != quiver.StoragePQ || got.PQSubspaces != 4 || got.PQCentroids != 16 {
		t.Errorf("pq-4x16: Config = %+v, %v", got, err)
	}
}

// TrainQuantizer on a PQ collection: new subspaces, with progress rising to
// total (1..total in order, on the calling goroutine), searches exact throughout (also from another
// goroutine while it trains), codes re-encoded (smaller), the parameters
// kept and persisted; bad parameters refused naming the field, changing
// nothing.
func TestTrainQuantizerPQ(t *testing.T) {
	d := loadQuantData(t)
	dir := filepath.Join(t.TempDir(), "db")
	db, err := quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	c := quantCollection(t, db, "pq", quiver.CollectionConfig{Storage: quiver.StoragePQ, PQSubspaces: 48}, d)
	checkQuantConfig(t, "pq", c, quiver.StoragePQ, 48, 256)
	before := codesBytes(t, "pq", c)
	segs := uint64(sealedSegments(t, "pq", c))

	// Bad parameters: the library's message names the field; nothing is
	// trained, progress is not called.
	for _, bad := range []struct {
		p    quiver.TrainParams
		want []string
	}{
		{quiver.TrainParams{PQSubspaces: 7}, []string{"params.pq_subspaces is 7", "384"}},
		{quiver.TrainParams{PQSubspaces: 768}, []string{"params.pq_subspaces is 768"}},
		{quiver.TrainParams{PQCentroids: 1}, []string{"params.pq_centroids is 1"}},
		{quiver.TrainParams{PQCentroids: 300}, []string{"params.pq_centroids is 300"}},
		{quiver.TrainParams{PQIterations: 101}, []string{"params.pq_iterations is 101"}},
		{quiver.TrainParams{PQSubspaces: -1}, []string{"TrainParams.PQSubspaces is -1"}},
		{quiver.TrainParams{PQIterations: 1 << 32}, []string{"TrainParams.PQIterations"}},
	} {
		what := fmt.Sprintf("TrainQuantizer(%+v)", bad.p)
		called := false
		err := c.TrainQuantizer(bad.p, func(done, total uint64) bool { called = true; return true })
		qe := mustCode(t, what, err, quiver.ErrInvalidArgument)
		for _, w := range bad.want {
			if !strings.Contains(qe.Message, w) {
				t.Errorf("%s: message %q does not contain %q", what, qe.Message, w)
			}
		}
		if called {
			t.Errorf("%s: progress was called", what)
		}
	}
	checkQuantConfig(t, "pq after refusals", c, quiver.StoragePQ, 48, 256)

	// Searches from another goroutine while it trains: exact throughout.
	stop := make(chan struct{})
	var searches atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for q := 0; ; q = (q + 1) % len(d.queries) {
			select {
			case <-stop:
				return
			default:
			}
			hits, err := c.Search(d.queries[q], quiver.SearchOptions{K: sq8K})
			if err != nil {
				t.Errorf("Search while training: %v", err)
				return
			}
			for j, e := range scoreErrors(t, "search while training", d.sq8Data, q, hits) {
				if e > exactTol {
					t.Errorf("search while training, query %d: hit %d (id %d) is %g off its exact cosine", q, j, hits[j].ID, e)
				}
			}
			searches.Add(1)
		}
	}()
	var log progressLog
	err = c.TrainQuantizer(quiver.TrainParams{PQSubspaces: 24, PQIterations: 8}, func(done, total uint64) bool {
		log.record(done, total)
		return true
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("TrainQuantizer 24 subspaces: %v", err)
	}
	t.Logf("%d searches ran during the training", searches.Load())
	log.check(t, "TrainQuantizer 24 subspaces", 24*segs)
	checkQuantConfig(t, "pq trained", c, quiver.StoragePQ, 24, 256)
	after := codesBytes(t, "pq trained", c)
	// 24 code bytes per point instead of 48 (the codebooks keep their size).
	if after >= before || before-after < sq8Points*24/2 {
		t.Errorf("codes: %d bytes before, %d after retraining with half the subspaces", before, after)
	}
	checkSearches(t, "pq trained", c, d, quiver.SearchOptions{K: sq8K}, 0.9)

	// Without a callback; fewer centroids.
	if err := c.TrainQuantizer(quiver.TrainParams{PQSubspaces: 24, PQCentroids: 64}, nil); err != nil {
		t.Fatalf("TrainQuantizer without progress: %v", err)
	}
	checkQuantConfig(t, "pq 24x64", c, quiver.StoragePQ, 24, 64)
	checkSearches(t, "pq 24x64", c, d, quiver.SearchOptions{K: sq8K}, 0.8)

	// The parameters are persisted, for the next seals too: a new segment
	// sealed after a reopen is searched exactly as well.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = quiver.Open(dir, &quiver.Options{Sync: quiver.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	c, err = db.OpenCollection("pq")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkQuantConfig(t, "pq reopened", c, quiver.StoragePQ, 24, 64)
	checkSearches(t, "pq reopened", c, d, quiver.SearchOptions{K: sq8K}, 0.8)
	if err := c.Upsert(seq(0, 100), d.base[:100], nil); err != nil { // rewritten: sealed anew
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	sealedSegments(t, "pq reopened, optimized", c)
	checkSearches(t, "pq reopened, optimized", c, d, quiver.SearchOptions{K: sq8K}, 0.8)
}

// A progress callback that returns false cancels: ErrCancelled, it is not
// called again, and nothing changed (parameters, codes, exact searches).
func TestTrainQuantizerCancel(t *testing.T) {
	d := loadQuantData(t)
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	for _, tc := range []struct {
		storage quiver.Storage
		at      uint64 // the call that cancels (1 = the first)
	}{
		{quiver.StoragePQ, 1},
		{quiver.StoragePQ, 5},
		{quiver.StorageBinary, 1},
		{quiver.StorageSQ8, 1},
	} {
		name := fmt.Sprintf("cancel-%s-%d", tc.storage, tc.at)
		c := quantCollection(t, db, name, quiver.CollectionConfig{Storage: tc.storage}, d)
		before := codesBytes(t, name, c)
		calls := uint64(0) // one call at a time: no lock needed (the race detector agrees)
		err := c.TrainQuantizer(quiver.TrainParams{PQSubspaces: 24}, func(done, total uint64) bool {
			calls++
			if done != calls {
				t.Errorf("%s: call %d reported done %d, want the steps in order", name, calls, done)
			}
			return calls < tc.at
		})
		qe := mustCode(t, name, err, quiver.ErrCancelled)
		if !strings.Contains(qe.Message, "cancel") {
			t.Errorf("%s: message %q", name, qe.Message)
		}
		if calls != tc.at {
			t.Errorf("%s: progress called %d times, want %d (not again after false)", name, calls, tc.at)
		}
		checkQuantConfig(t, name, c, tc.storage, 0, 256)
		if after := codesBytes(t, name, c); after != before {
			t.Errorf("%s: codes %d bytes before, %d after the cancelled training", name, before, after)
		}
		checkSearches(t, name, c, d, quiver.SearchOptions{K: sq8K}, 0.8)
	}
}

// An f32 collection has nothing to train: ErrUnsupported, progress not
// called, also with bad parameters' fields at zero.
func TestTrainQuantizerF32(t *testing.T) {
	db, _ := openDB(t, nil)
	c := createCollection(t, db, "f32", quiver.CollectionConfig{Dimension: 8})
	if err := c.Upsert(seq(0, 50), randomVectors(7, 50, 8), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Optimize(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []quiver.TrainParams{{}, {PQSubspaces: 4, PQCentroids: 16, PQIterations: 3}} {
		called := false
		err := c.TrainQuantizer(p, func(done, total uint64) bool { called = true; return true })
		what := fmt.Sprintf("TrainQuantizer(%+v) on f32", p)
		qe := mustCode(t, what, err, quiver.ErrUnsupported)
		if !strings.Contains(qe.Message, "f32") {
			t.Errorf("%s: message %q does not say f32", what, qe.Message)
		}
		if called {
			t.Errorf("%s: progress was called", what)
		}
		if errors.Is(err, quiver.ErrCancelled) {
			t.Errorf("%s: matches ErrCancelled", what)
		}
	}
	mustCode(t, "TrainQuantizer on f32 without progress", c.TrainQuantizer(quiver.TrainParams{}, nil), quiver.ErrUnsupported)
}

// A panicking callback does not crash the process: the panic is recovered
// in the binding's trampoline (before it reaches the C frames), cancels the training (nothing changed), and
// comes back as a *CallbackPanicError matching ErrCancelled (and the
// panic's value when it is an error). The collection trains normally
// afterwards.
func TestTrainQuantizerPanic(t *testing.T) {
	d := loadQuantData(t)
	db, _ := openDB(t, &quiver.Options{Sync: quiver.SyncNever})
	c := quantCollection(t, db, "pq", quiver.CollectionConfig{Storage: quiver.StoragePQ}, d)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		at    int // the call that panics
		value any
	}{
		{"error at the first call", 1, boom},
		{"string at the fourth call", 4, "a string panic"},
		{"nil", 2, nil}, // Go >= 1.21: recover returns a *runtime.PanicNilError
	} {
		calls := 0
		err := c.TrainQuantizer(quiver.TrainParams{PQSubspaces: 24}, func(done, total uint64) bool {
			calls++
			if calls == tc.at {
				panic(tc.value)
			}
			return true
		})
		var pe *quiver.CallbackPanicError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %v (%T), want a *CallbackPanicError", tc.name, err, err)
		}
		if calls != tc.at {
			t.Errorf("%s: progress called %d times, want %d (not again after the panic)", tc.name, calls, tc.at)
		}
		if !errors.Is(err, quiver.ErrCancelled) {
			t.Errorf("%s: %v does not match ErrCancelled", tc.name, err)
		}
		if tc.value != nil && pe.Value != tc.value {
			t.Errorf("%s: Value %v, want %v", tc.name, pe.Value, tc.value)
		}
		if tc.value == nil && pe.Value == nil {
			t.Errorf("%s: Value nil", tc.name)
		}
		if errors.Is(err, boom) != (tc.value == boom) {
			t.Errorf("%s: errors.Is(err, boom) = %v", tc.name, errors.Is(err, boom))
		}
		if !strings.Contains(err.Error(), "progress callback panicked") ||
			(tc.value != nil && !strings.Contains(err.Error(), fmt.Sprint(tc.value))) {
			t.Errorf("%s: Error() = %q", tc.name, err)
		}
		if !strings.Contains(string(pe.Stack), "TestTrainQuantizerPanic") {
			t.Errorf("%s: Stack does not show the callback:\n%s", tc.name, pe.Stack)
		}
		checkQuantConfig(t, tc.name, c, quiver.StoragePQ, 0, 256)
	}
	checkSearches(t, "pq after the panics", c, d, quiver.SearchOptions{K: sq8K}, 0.9)
	var log progressLog
	err := c.TrainQuantizer(quiver.TrainParams{PQSubspaces: 24}, func(done, total uint64) bool {
		log.record(done, total)
		return true
	})
	if err != nil {
		t.Fatalf("TrainQuantizer after the panics: %v", err)
	}
	log.check(t, "TrainQuantizer after the panics", 24*uint64(sealedSegments(t, "pq", c)))
	checkQuantConfig(t, "pq trained after the panics", c, quiver.StoragePQ, 24, 256)
	checkSearches(t, "pq trained after the panics", c, d, quiver.SearchOptions{K: sq8K}, 0.9)
}
