package nvdb

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nvdb.dev/nvdb/internal/swig"
)

// snapshot is what a failed call must leave unchanged.
type snapshot struct {
	count int
	extra string
	dump  string
}

func takeSnapshot(t *testing.T, db *DB) snapshot {
	t.Helper()
	hits, err := db.Query([]float32{1, 0.5}, 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := hitIDs(hits)
	records, err := db.Get(ids...)
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := json.Marshal(records)
	extra, _ := db.AdditionalData()
	return snapshot{count: mustCount(t, db), extra: string(extra), dump: string(dump)}
}

// seeded is a database with two records and additional data.
func seeded(t *testing.T) (*DB, snapshot) {
	db := openMemory(t, 2)
	mustUpsert(t, db, record("a", []float32{1, 0}, `{"v": 1}`), record("b", []float32{0, 1}, `{"v": 2}`))
	if err := db.SetAdditionalData(json.RawMessage(`{"keep": true}`)); err != nil {
		t.Fatal(err)
	}
	return db, takeSnapshot(t, db)
}

func requireUnchanged(t *testing.T, db *DB, before snapshot) {
	t.Helper()
	if after := takeSnapshot(t, db); after != before {
		t.Fatalf("the database changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestRejectWrongDimension(t *testing.T) {
	db, before := seeded(t)
	for _, v := range [][]float32{{1}, {1, 2, 3}, {}, nil} {
		// The bad record comes after a valid update of a: nothing applies.
		_, err := db.Upsert([]Record{record("a", []float32{5, 5}, `{"v": 9}`), record("c", v, "")})
		e := requireStatus(t, err, ErrDim)
		if !strings.Contains(e.Message, "record 1") {
			t.Errorf("the message does not name the record: %q", e.Message)
		}
		_, err = db.Query(v, 1)
		requireStatus(t, err, ErrDim)
	}
	requireUnchanged(t, db, before)
}

func TestRejectNaNInfiniteAndZeroVectors(t *testing.T) {
	db, before := seeded(t)
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, v := range [][]float32{{nan, 1}, {1, inf}, {-inf, 0}, {0, 0}, {3e38, 3e38}} {
		_, err := db.Upsert([]Record{record("c", []float32{1, 1}, ""), record("d", v, "")})
		requireStatus(t, err, ErrVector)
		_, err = db.Query(v, 1)
		requireStatus(t, err, ErrVector)
	}
	requireUnchanged(t, db, before)
	// A zero vector is refused under cosine only.
	dot := openMemory(t, 2, WithMetric(Dot))
	mustUpsert(t, dot, record("zero", []float32{0, 0}, ""))
}

func TestRejectInvalidAndEmptyIDs(t *testing.T) {
	db, before := seeded(t)
	for name, id := range map[string]string{
		"empty":        "",
		"too long":     strings.Repeat("x", 1025),
		"not UTF-8":    "bad\xff",
		"NUL inside":   "a\x00b",
		"NUL at start": "\x00",
	} {
		_, err := db.Upsert([]Record{record("c", []float32{1, 1}, ""), record(id, []float32{1, 2}, "")})
		e := requireStatus(t, err, ErrID)
		if !strings.Contains(e.Message, "record 1") {
			t.Errorf("%s id: the message does not name the record: %q", name, e.Message)
		}
	}
	requireUnchanged(t, db, before)
	mustUpsert(t, db, record(strings.Repeat("é", 512), []float32{1, 2}, "")) // 1,024 bytes
	// get and delete skip ids that cannot exist, as unknown ones.
	if got, err := db.Get("", "a\x00", "bad\xff"); err != nil || len(got) != 0 {
		t.Fatalf("get of impossible ids: %v %v", recordIDs(got), err)
	}
	if n, err := db.Delete("", "a\x00", "b\x00"); err != nil || n != 0 {
		t.Fatalf("delete of impossible ids: %d %v", n, err)
	}
}

func TestRejectMetadataThatIsNotAJSONObject(t *testing.T) {
	db, before := seeded(t)
	notObjects := []string{`[1, 2]`, `"text"`, `42`, `null`, `{"a": 1`, `{"a": 1} {}`, `{"a": 1, "a": 2}`,
		"{\"a\": \"\x00\"}", "{}\x00junk", `{a: 1}`, `{"a": NaN}`}
	for _, m := range notObjects {
		_, err := db.Upsert([]Record{record("a", []float32{1, 1}, `{}`), record("c", []float32{1, 2}, m)})
		requireStatus(t, err, ErrJSON)
		requireStatus(t, db.SetAdditionalData(json.RawMessage(m)), ErrJSON)
	}
	// The keys nano-vectordb's file format reserves, in metadata only.
	for _, m := range []string{`{"__id__": "x"}`, `{"__vector__": []}`, `{"__metrics__": 1}`} {
		_, err := db.Upsert([]Record{record("a", []float32{1, 1}, `{}`), record("c", []float32{1, 2}, m)})
		requireStatus(t, err, ErrJSON)
	}
	requireStatus(t, db.SetAdditionalData(nil), ErrJSON)
	requireUnchanged(t, db, before)
}

func TestRejectInvalidFilters(t *testing.T) {
	db, _ := seeded(t)
	q := []float32{1, 0}
	for _, opt := range []QueryOption{
		WithFilter(map[string]any{"a": map[string]any{"$bogus": 1}}),
		WithFilter(map[string]any{"$or": "not an array"}),
		WithFilter(map[string]any{"f": func() {}}), // not marshallable
		WithFilterJSON(`[1]`),
		WithFilterJSON(`{"a": `),
		WithFilterJSON(""),
		WithFilterJSON("{}\x00"),
	} {
		_, err := db.Query(q, 1, opt)
		requireStatus(t, err, ErrFilter)
	}
}

func TestRejectNegativeTopK(t *testing.T) {
	db, _ := seeded(t)
	_, err := db.Query([]float32{1, 0}, -1)
	requireStatus(t, err, ErrInvalid)
}

func TestRejectBadOpens(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte(`{"embedding_dim": 2, "data": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		locator string
		opts    []Option
		want    Status
	}{
		{"memory without dim", ":memory:", nil, ErrInvalid},
		{"dim too large", ":memory:", []Option{WithDim(65537)}, ErrInvalid},
		{"negative dim", ":memory:", []Option{WithDim(-1)}, ErrInvalid},
		{"dim beyond uint32", ":memory:", []Option{WithDim(1<<32 + 2)}, ErrInvalid},
		{"unknown metric", ":memory:", []Option{WithDim(2), WithMetric(7)}, ErrInvalid},
		{"missing file", filepath.Join(dir, "none.json"), []Option{ReadOnly()}, ErrNotFound},
		{"missing store", filepath.Join(dir, "none.store"), []Option{MustExist()}, ErrNotFound},
		{"corrupt file", corrupt, []Option{ReadOnly()}, ErrCorrupt},
		{"dim mismatch", fixturePath(t, "a_small.db.json"), []Option{ReadOnly(), WithDim(3)}, ErrMismatch},
		{"NUL in locator", ":memory:\x00x", []Option{WithDim(2)}, ErrInvalid},
		{"bad shm name", "shm:a/b", []Option{WithDim(2)}, ErrInvalid},
	}
	for _, c := range cases {
		db, err := Open(c.locator, c.opts...)
		if db != nil {
			t.Errorf("%s: a handle came back with %v", c.name, err)
			db.Close()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want.Name())
		}
	}
}

func TestRejectImportAndExportErrors(t *testing.T) {
	db := openMemory(t, 3)
	requireStatus(t, db.ImportJSON(fixturePath(t, "a_small.db.json")), ErrMismatch)
	requireStatus(t, db.ImportJSON(filepath.Join(t.TempDir(), "none.json")), ErrNotFound)
	if n := mustCount(t, db); n != 0 {
		t.Fatalf("a failed import left %d records", n)
	}
	dot := openMemory(t, 2, WithMetric(Dot))
	requireStatus(t, dot.ExportJSON(filepath.Join(t.TempDir(), "dot.json")), ErrMismatch)
	requireStatus(t, db.ExportJSON(filepath.Join(t.TempDir(), "no-such-dir", "x.json")), ErrIO)
}

func TestRejectCallsOnAClosedHandle(t *testing.T) {
	db, err := Open(":memory:", WithDim(2))
	if err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, db, record("a", []float32{1, 0}, ""))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var nilDB *DB
	for _, handle := range []*DB{db, nilDB} {
		_, errUpsert := handle.Upsert([]Record{record("b", []float32{1, 0}, "")})
		_, errQuery := handle.Query([]float32{1, 0}, 1)
		_, errGet := handle.Get("a")
		_, errDelete := handle.Delete("a")
		_, errCount := handle.Count()
		_, errExtra := handle.AdditionalData()
		_, errInfo := handle.Info()
		for name, err := range map[string]error{
			"upsert": errUpsert, "query": errQuery, "get": errGet, "delete": errDelete, "count": errCount,
			"additional data": errExtra, "info": errInfo,
			"set additional data": handle.SetAdditionalData(json.RawMessage(`{}`)),
			"import":              handle.ImportJSON("x.json"), "export": handle.ExportJSON("x.json"),
			"save": handle.Save(), "close": handle.Close(), "copy": handle.CopyFrom(openMemory(t, 2)),
		} {
			if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s on a closed handle: %v", name, err)
			} else if !strings.Contains(err.Error(), "closed") {
				t.Errorf("%s: unclear message %q", name, err)
			}
		}
		if handle.Dim() != 0 || handle.Metric() != MetricDefault {
			t.Error("Dim and Metric of a closed handle")
		}
	}
	requireStatus(t, openMemory(t, 2).CopyFrom(db), ErrInvalid)
}

func TestRejectErrorsCarryTheStatusAndTheMessage(t *testing.T) {
	db := openMemory(t, 3)
	_, err := db.Query([]float32{1, 2}, 1)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *Error", err)
	}
	if e.Op != "query" || e.Status != ErrDim || !strings.Contains(e.Message, "2") {
		t.Fatalf("%#v", e)
	}
	if s := err.Error(); !strings.Contains(s, "NVDB_EDIM") || !strings.HasPrefix(s, "nvdb: query: ") {
		t.Fatalf("Error() = %q", s)
	}
	var status Status
	if !errors.As(err, &status) || status != ErrDim {
		t.Fatalf("errors.As(Status) = %v", status)
	}
	if errors.Is(err, ErrVector) || errors.Is(err, ErrClosed) {
		t.Fatal("the error matches other sentinels")
	}
}

// A panic inside the package (forced here) reaches the caller as an
// ErrInternal error, and the handle stays usable.
func TestRejectPanicsBecomeErrInternal(t *testing.T) {
	db := openMemory(t, 2)
	err := db.with("test", func(swig.Struct_SS_nvdb_db, swig.Error) { panic("boom") })
	if e := requireStatus(t, err, ErrInternal); !strings.Contains(e.Message, "boom") {
		t.Fatalf("message %q", e.Message)
	}
	if _, err := db.Count(); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
}
