package quiver_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// openDB opens a database in a fresh temporary directory and closes it at
// the end of the test.
func openDB(t testing.TB, opts *quiver.Options) (*quiver.DB, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := quiver.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("DB.Close: %v", err)
		}
	})
	return db, dir
}

// createCollection creates a collection that is closed at the end of the test.
func createCollection(t testing.TB, db *quiver.DB, name string, cfg quiver.CollectionConfig) *quiver.Collection {
	t.Helper()
	c, err := db.CreateCollection(name, cfg)
	if err != nil {
		t.Fatalf("CreateCollection(%q): %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// randomVectors returns n deterministic pseudo-random rows of dim floats.
func randomVectors(seed int64, n, dim int) [][]float32 {
	rng := rand.New(rand.NewSource(seed))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = rng.Float32()*2 - 1
		}
	}
	return rows
}

func seq(from, n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(from + i)
	}
	return ids
}

// mustCode fails the test unless err is an *Error matching want.
func mustCode(t *testing.T, what string, err error, want *quiver.Error) *quiver.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, want.Code)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %q (%T), want code %v", what, err, err, want.Code)
	}
	var qe *quiver.Error
	if !errors.As(err, &qe) {
		t.Fatalf("%s: errors.As found no *quiver.Error in %v", what, err)
	}
	if qe.Message == "" {
		t.Errorf("%s: error without a message", what)
	}
	return qe
}

// ---- WordNet data (little-endian half floats, JSON lines) ----------------------

// sampleDir is the committed 5,000-point sample (QUIVER_TEST_DATA overrides).
func sampleDir() string {
	if d := os.Getenv("QUIVER_TEST_DATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "tests", "data", "wordnet-sample")
}

// halfToFloat32 widens an IEEE 754 binary16 value to float32 exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0: // ±0
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant × 2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31: // inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// readF16 reads the first rows rows of dim half floats from file (all when
// rows < 0), widened to float32, row-major.
func readF16(tb testing.TB, file string, rows, dim int) []float32 {
	tb.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		tb.Fatalf("read %s: %v", file, err)
	}
	if rows < 0 {
		rows = len(raw) / (2 * dim)
	}
	if len(raw) < rows*dim*2 {
		tb.Fatalf("%s holds %d bytes, %d rows of %d need %d", file, len(raw), rows, dim, rows*dim*2)
	}
	out := make([]float32, rows*dim)
	for i := range out {
		out[i] = halfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return out
}

// readLines returns the first n lines of file (all when n < 0).
func readLines(tb testing.TB, file string, n int) [][]byte {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatalf("open %s: %v", file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines [][]byte
	for (n < 0 || len(lines) < n) && sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", file, err)
	}
	return lines
}

// readU32 reads a little-endian uint32 file.
func readU32(tb testing.TB, file string) []uint32 {
	tb.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		tb.Fatalf("read %s: %v", file, err)
	}
	out := make([]uint32, len(raw)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return out
}
