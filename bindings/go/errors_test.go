package quiver_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	quiver "github.com/quiver-db/quiver/bindings/go"
)

// Every error kind the library can report on bad input, each reached
// through a real call, checked with errors.Is and errors.As.
func TestErrorKinds(t *testing.T) {
	db, dir := openDB(t, nil)
	c := createCollection(t, db, "e", quiver.CollectionConfig{Dimension: 4})
	if err := c.Upsert([]uint64{1}, [][]float32{{1, 0, 0, 0}}, nil); err != nil {
		t.Fatal(err)
	}
	q := []float32{1, 0, 0, 0}

	t.Run("InvalidArgument", func(t *testing.T) {
		nan := float32(math.NaN())
		e := mustCode(t, "NaN in a vector", c.Upsert([]uint64{2}, [][]float32{{nan, 0, 0, 0}}, nil), quiver.ErrInvalidArgument)
		if e.Code != quiver.CodeInvalidArgument || !strings.HasPrefix(e.Error(), "quiver: invalid argument") {
			t.Errorf("error %q, code %v", e, e.Code)
		}
		mustCode(t, "zero vector under cosine", c.Upsert([]uint64{2}, [][]float32{{0, 0, 0, 0}}, nil), quiver.ErrInvalidArgument)
		mustCode(t, "invalid JSON payload", c.Upsert([]uint64{2}, [][]float32{q}, [][]byte{[]byte(`{"a":`)}), quiver.ErrInvalidArgument)
		_, err := c.Search(q, quiver.SearchOptions{Filter: `{"field": "a", "like": 1}`})
		mustCode(t, "bad filter", err, quiver.ErrInvalidArgument)
		_, err = c.Search([]float32{1, float32(math.Inf(1)), 0, 0}, quiver.SearchOptions{})
		mustCode(t, "infinite query value", err, quiver.ErrInvalidArgument)
		_, err = c.Search(q, quiver.SearchOptions{K: 1 << 30})
		mustCode(t, "k too large", err, quiver.ErrInvalidArgument)
		_, err = c.Search(q, quiver.SearchOptions{K: -1})
		mustCode(t, "negative k", err, quiver.ErrInvalidArgument)
		_, err = c.Scroll(0, 10, "not json")
		mustCode(t, "bad scroll filter", err, quiver.ErrInvalidArgument)
		_, err = db.CreateCollection(".hidden", quiver.CollectionConfig{Dimension: 4})
		mustCode(t, "bad name", err, quiver.ErrInvalidArgument)
		_, err = db.CreateCollection("m", quiver.CollectionConfig{Dimension: 4, M: 1000})
		mustCode(t, "m out of range", err, quiver.ErrInvalidArgument)
		_, err = db.CreateCollection("m", quiver.CollectionConfig{Dimension: 4, Metric: quiver.Metric(42)})
		mustCode(t, "unknown metric", err, quiver.ErrInvalidArgument)
		_, err = quiver.Open(dir+"/bad", &quiver.Options{Sync: quiver.SyncMode(9)})
		mustCode(t, "unknown sync mode", err, quiver.ErrInvalidArgument)
		_, err = quiver.Open("", nil)
		mustCode(t, "empty path", err, quiver.ErrInvalidArgument)
		mustCode(t, "payloads for other ids", c.Upsert([]uint64{2, 3}, [][]float32{q, q}, [][]byte{nil}), quiver.ErrInvalidArgument)
		mustCode(t, "too short counts", c.SearchInto(q, 4, quiver.SearchOptions{K: 1}, make([]uint64, 1), make([]float32, 1), nil), quiver.ErrInvalidArgument)
	})

	t.Run("DimensionMismatch", func(t *testing.T) {
		e := mustCode(t, "3 floats for dimension 4", c.Upsert([]uint64{2}, [][]float32{{1, 2, 3}}, nil), quiver.ErrDimensionMismatch)
		if !strings.Contains(e.Message, "expects 4") {
			t.Errorf("message without context: %q", e.Message)
		}
		_, err := c.Search([]float32{1, 2}, quiver.SearchOptions{})
		mustCode(t, "query of 2 floats", err, quiver.ErrDimensionMismatch)
		_, err = c.SearchBatch([][]float32{{1, 2, 3, 4, 5}}, quiver.SearchOptions{})
		mustCode(t, "batch query of 5 floats", err, quiver.ErrDimensionMismatch)
	})

	t.Run("NotFound", func(t *testing.T) {
		_, err := db.OpenCollection("missing")
		e := mustCode(t, "open a missing collection", err, quiver.ErrNotFound)
		if !strings.Contains(e.Message, "missing") {
			t.Errorf("message %q does not name the collection", e.Message)
		}
		mustCode(t, "drop a missing collection", db.DropCollection("missing"), quiver.ErrNotFound)
	})

	t.Run("AlreadyExists", func(t *testing.T) {
		_, err := db.CreateCollection("e", quiver.CollectionConfig{Dimension: 4})
		mustCode(t, "create twice", err, quiver.ErrAlreadyExists)
	})

	t.Run("Locked", func(t *testing.T) {
		_, err := quiver.Open(dir, nil)
		mustCode(t, "second open", err, quiver.ErrLocked)
	})

	t.Run("Unsupported", func(t *testing.T) {
		meta := createCollection(t, db, "meta", quiver.CollectionConfig{Kind: quiver.KindMetadataOnly})
		_, err := meta.Search(q, quiver.SearchOptions{})
		mustCode(t, "vector search on metadata-only", err, quiver.ErrUnsupported)
	})

	t.Run("IO", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := quiver.Open(file, nil)
		mustCode(t, "open a regular file", err, quiver.ErrIO)
	})

	t.Run("IncompatibleFormatAndCorrupt", func(t *testing.T) {
		foreign := t.TempDir()
		if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("hello"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := quiver.Open(foreign, nil)
		mustCode(t, "a directory that is not a database", err, quiver.ErrIncompatibleFormat)
		if err := os.WriteFile(filepath.Join(foreign, "quiver.db"), []byte("\x7fELF garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = quiver.Open(foreign, nil)
		mustCode(t, "a damaged database marker", err, quiver.ErrCorrupt)

		// Damaged collection manifests of a closed database.
		d := filepath.Join(t.TempDir(), "db")
		db2, err := quiver.Open(d, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"garbage", "future"} {
			c2, err := db2.CreateCollection(name, quiver.CollectionConfig{Dimension: 2})
			if err != nil {
				t.Fatal(err)
			}
			c2.Close()
		}
		db2.Close()
		writeConfig(t, d, "garbage", "\x01\x02garbage\xff not json")
		writeConfig(t, d, "future", `{"magic": "someone-else", "format_version": 999}`)
		db2, err = quiver.Open(d, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		_, err = db2.OpenCollection("garbage")
		mustCode(t, "a garbage manifest", err, quiver.ErrCorrupt)
		_, err = db2.OpenCollection("future")
		mustCode(t, "a foreign manifest", err, quiver.ErrIncompatibleFormat)
	})

	t.Run("Closed", func(t *testing.T) {
		// The library's own closed status: a dropped collection.
		tmp := createCollection(t, db, "tmp", quiver.CollectionConfig{Dimension: 4})
		if err := db.DropCollection("tmp"); err != nil {
			t.Fatal(err)
		}
		_, err := tmp.Count()
		mustCode(t, "count on a dropped collection", err, quiver.ErrClosed)
		// A handle closed by Close: every method.
		other, err := db.OpenCollection("e")
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		if err := other.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		for name, err := range closedCalls(other, q) {
			mustCode(t, name+" after Close", err, quiver.ErrClosed)
		}
	})

	// The database closed under its collections: the library answers
	// ErrClosed for the still-open collection handle; the DB's own methods
	// answer ErrClosed from Go.
	t.Run("ClosedDatabase", func(t *testing.T) {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		for name, err := range closedCalls(c, q) {
			mustCode(t, name+" after DB.Close", err, quiver.ErrClosed)
		}
		_, err := db.OpenCollection("e")
		mustCode(t, "OpenCollection after Close", err, quiver.ErrClosed)
		_, err = db.CreateCollection("f", quiver.CollectionConfig{Dimension: 1})
		mustCode(t, "CreateCollection after Close", err, quiver.ErrClosed)
		_, err = db.ListCollections()
		mustCode(t, "ListCollections after Close", err, quiver.ErrClosed)
		mustCode(t, "DropCollection after Close", db.DropCollection("e"), quiver.ErrClosed)
		if err := db.Close(); err != nil {
			t.Errorf("second DB.Close: %v", err)
		}
	})
}

// closedCalls calls every method of c that reaches the library.
func closedCalls(c *quiver.Collection, q []float32) map[string]error {
	errs := map[string]error{}
	_, errs["Count"] = c.Count()
	_, errs["Config"] = c.Config()
	_, errs["Get"] = c.Get(1)
	_, errs["Delete"] = c.Delete(1)
	_, errs["Scroll"] = c.Scroll(0, 1, "")
	_, errs["Search"] = c.Search(q, quiver.SearchOptions{})
	_, errs["SearchWithPayload"] = c.Search(q, quiver.SearchOptions{WithPayload: true})
	_, errs["SearchBatch"] = c.SearchBatch([][]float32{q}, quiver.SearchOptions{})
	errs["SearchInto"] = c.SearchInto(q, len(q), quiver.SearchOptions{K: 1}, make([]uint64, 1), make([]float32, 1), make([]uint32, 1))
	errs["Upsert"] = c.Upsert([]uint64{9}, [][]float32{q}, nil)
	errs["Checkpoint"] = c.Checkpoint()
	errs["Optimize"] = c.Optimize()
	errs["WaitOptimized"] = c.WaitOptimized()
	errs["Verify"] = c.Verify()
	_, errs["Stats"] = c.Stats()
	_, errs["SetPayload"] = c.SetPayload(quiver.IDs(1), map[string]any{"a": 1})
	_, errs["OverwritePayload"] = c.OverwritePayload(quiver.Where(`{"has_id": [1]}`), map[string]any{"a": 1})
	_, errs["DeletePayloadKeys"] = c.DeletePayloadKeys(quiver.IDs(1), "a")
	_, errs["ClearPayload"] = c.ClearPayload(quiver.IDs(1))
	_, errs["DeleteWhere"] = c.DeleteWhere(`{"has_id": [1]}`)
	_, errs["CountWhere"] = c.CountWhere("")
	_, errs["ScrollPoints"] = c.ScrollPoints(quiver.ScrollOptions{})
	_, errs["Explain"] = c.Explain(q, quiver.SearchOptions{})
	errs["TrainQuantizer"] = c.TrainQuantizer(quiver.TrainParams{}, func(done, total uint64) bool { return true })
	it := c.ScrollIter(quiver.ScrollOptions{})
	for it.Next() {
	}
	errs["ScrollIter"] = it.Err()
	return errs
}

func writeConfig(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, "collections", name, "collection.json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the configuration file this test damages: %v", err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The mapping from codes to sentinels, including codes that no bad input
// reaches (query syntax, out of memory, internal, panic) and codes a newer
// library may add.
func TestErrorMapping(t *testing.T) {
	sentinels := map[quiver.Code]*quiver.Error{
		quiver.CodeInvalidArgument: quiver.ErrInvalidArgument, quiver.CodeDimensionMismatch: quiver.ErrDimensionMismatch,
		quiver.CodeNotFound: quiver.ErrNotFound, quiver.CodeAlreadyExists: quiver.ErrAlreadyExists,
		quiver.CodeClosed: quiver.ErrClosed, quiver.CodeIO: quiver.ErrIO, quiver.CodeCorrupt: quiver.ErrCorrupt,
		quiver.CodeIncompatibleFormat: quiver.ErrIncompatibleFormat, quiver.CodeLocked: quiver.ErrLocked,
		quiver.CodeUnsupported: quiver.ErrUnsupported, quiver.CodeQuerySyntax: quiver.ErrQuerySyntax,
		quiver.CodeOutOfMemory: quiver.ErrOutOfMemory, quiver.CodeInternal: quiver.ErrInternal,
		quiver.CodePanic: quiver.ErrPanic, quiver.CodeReadOnly: quiver.ErrReadOnly,
		quiver.CodeCancelled: quiver.ErrCancelled,
	}
	if len(sentinels) != 16 {
		t.Fatalf("%d codes", len(sentinels))
	}
	for code, sentinel := range sentinels {
		err := fmt.Errorf("wrapped: %w", &quiver.Error{Code: code, Message: "m"})
		if !errors.Is(err, sentinel) || errors.Is(err, quiver.ErrUnknown) {
			t.Errorf("code %d (%v) does not match its sentinel only", code, code)
		}
		for other, s := range sentinels {
			if other != code && errors.Is(err, s) {
				t.Errorf("code %v matches %v", code, other)
			}
		}
	}
	// The codes are the C library's (QV_ERR_READ_ONLY is 15).
	if quiver.CodeReadOnly != 15 || quiver.CodeReadOnly.String() != "read only" ||
		quiver.ErrReadOnly.Error() != "quiver: read only" {
		t.Errorf("CodeReadOnly = %d (%q), ErrReadOnly %q", int32(quiver.CodeReadOnly), quiver.CodeReadOnly, quiver.ErrReadOnly)
	}
	// QV_ERR_CANCELLED is 16.
	if quiver.CodeCancelled != 16 || quiver.CodeCancelled.String() != "cancelled" ||
		quiver.ErrCancelled.Error() != "quiver: cancelled" {
		t.Errorf("CodeCancelled = %d (%q), ErrCancelled %q", int32(quiver.CodeCancelled), quiver.CodeCancelled, quiver.ErrCancelled)
	}
	if quiver.Code(17).String() != "status 17" || !errors.Is(&quiver.Error{Code: 17}, quiver.ErrUnknown) {
		t.Error("code 17 should be unknown")
	}
	future := &quiver.Error{Code: 99, Message: "something new"}
	if !errors.Is(future, quiver.ErrUnknown) || errors.Is(future, quiver.ErrInternal) {
		t.Errorf("code 99 should match ErrUnknown only")
	}
	if future.Code.String() != "status 99" || future.Error() != "quiver: something new" {
		t.Errorf("%q / %q", future.Code, future)
	}
	if errors.Is(errors.New("other"), quiver.ErrNotFound) {
		t.Error("a foreign error matches ErrNotFound")
	}
}
