// Quiver from Go, on real data: inserts 300 WordNet definitions
// (384-dimensional MiniLM sentence embeddings stored as half floats, with
// their JSON lines as payloads) in one batch, searches them by meaning with
// and without a payload filter, and removes the database again.
//
//	bindings/go/test.sh builds and runs it; by hand (after cargo build --release):
//	cd examples/go && GOTOOLCHAIN=local GOPROXY=off go run . ../../tests/data/wordnet-sample
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

const (
	dim     = 384
	nPoints = 300
)

func main() {
	data := "../../tests/data/wordnet-sample"
	if len(os.Args) > 1 {
		data = os.Args[1]
	}
	if err := run(data); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(data string) error {
	fmt.Printf("quiver %s (ABI %d)\n", quiver.Version(), quiver.ABIVersion())
	if quiver.ABIVersion() != quiver.HeaderABIVersion {
		return fmt.Errorf("built against ABI %d, library has %d", quiver.HeaderABIVersion, quiver.ABIVersion())
	}
	vectors, err := readHalfFloats(filepath.Join(data, "base.f16"), nPoints*dim)
	if err != nil {
		return err
	}
	query, err := readHalfFloats(filepath.Join(data, "queries.f16"), dim)
	if err != nil {
		return err
	}
	payloads, err := readLines(filepath.Join(data, "base.jsonl"), nPoints)
	if err != nil {
		return err
	}
	ids := make([]uint64, nPoints)
	for i := range ids {
		ids[i] = uint64(i)
	}
	dir, err := os.MkdirTemp("", "quiver-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// A database is a directory; a collection holds points of one dimension.
	db, err := quiver.Open(dir, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	defs, err := db.CreateCollection("definitions", quiver.CollectionConfig{Dimension: dim, Metric: quiver.Cosine})
	if err != nil {
		return err
	}
	defer defs.Close()

	// One batch: ids, vectors (row-major) and JSON payloads; durable when it returns.
	if err := defs.UpsertFlat(ids, vectors, payloads); err != nil {
		return err
	}
	count, err := defs.Count()
	if err != nil {
		return err
	}
	fmt.Printf("inserted %d definitions into %s\n", count, dir)

	// The query is the embedding of a definition that is not in the base.
	fmt.Println("\nnearest definitions to query 0:")
	hits, err := defs.Search(query, quiver.SearchOptions{K: 5, WithPayload: true})
	if err != nil {
		return err
	}
	printHits(hits)

	filter := `{"field": "pos", "eq": "verb"}`
	fmt.Printf("\nthe same, verbs only (%s):\n", filter)
	hits, err = defs.Search(query, quiver.SearchOptions{K: 5, WithPayload: true, Filter: filter})
	if err != nil {
		return err
	}
	printHits(hits)
	return db.Close() // reports a failed final checkpoint; the deferred Closes are no-ops
}

func printHits(hits []quiver.Hit) {
	for _, h := range hits {
		var p struct{ Text string }
		if err := json.Unmarshal(h.Payload, &p); err != nil {
			p.Text = "(no text)"
		}
		fmt.Printf("  %.3f  #%-4d %s\n", h.Score, h.ID, p.Text)
	}
}

// readHalfFloats reads the first n little-endian IEEE half floats of file
// as float32.
func readHalfFloats(file string, n int) ([]float32, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(raw) < 2*n {
		return nil, fmt.Errorf("%s: %d bytes, want at least %d", file, len(raw), 2*n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = halfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return out, nil
}

func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp, mant := uint32(h>>10)&0x1f, uint32(h)&0x3ff
	switch {
	case exp == 0: // zero or subnormal: mant × 2^-24
		v := float32(mant) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31: // inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// readLines returns the first n lines of file.
func readLines(file string, n int) ([][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := make([][]byte, 0, n)
	for len(lines) < n && sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(lines) < n {
		return nil, fmt.Errorf("%s has %d lines, want %d", file, len(lines), n)
	}
	return lines, nil
}
