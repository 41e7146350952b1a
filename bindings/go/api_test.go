package nvdb

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"nvdb.dev/nvdb/internal/swig"
)

func TestAPIVersionIsTheLibrarys(t *testing.T) {
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(Version()) {
		t.Fatalf("Version() = %q", Version())
	}
}

func TestAPIStatusCodesAreTheCLibrarys(t *testing.T) {
	pairs := []struct {
		goValue Status
		cValue  int
	}{
		{ErrInvalid, swig.NVDB_EINVAL}, {ErrDim, swig.NVDB_EDIM}, {ErrVector, swig.NVDB_EVECTOR},
		{ErrID, swig.NVDB_EID}, {ErrJSON, swig.NVDB_EJSON}, {ErrFilter, swig.NVDB_EFILTER},
		{ErrNotFound, swig.NVDB_ENOTFOUND}, {ErrExist, swig.NVDB_EEXIST}, {ErrIO, swig.NVDB_EIO},
		{ErrCorrupt, swig.NVDB_ECORRUPT}, {ErrVersion, swig.NVDB_EVERSION}, {ErrBusy, swig.NVDB_EBUSY},
		{ErrReadOnly, swig.NVDB_EREADONLY}, {ErrNoMem, swig.NVDB_ENOMEM},
		{ErrAborted, swig.NVDB_EABORTED}, {ErrMismatch, swig.NVDB_EMISMATCH},
		{ErrInternal, swig.NVDB_EINTERNAL},
	}
	for _, p := range pairs {
		if int(p.goValue) != p.cValue {
			t.Errorf("%s = %d, C has %d", p.goValue.Name(), int(p.goValue), p.cValue)
		}
		if p.goValue.Error() == "nvdb: unknown status" {
			t.Errorf("%s has no description", p.goValue.Name())
		}
	}
	metrics := map[Metric]int{MetricDefault: swig.NVDB_METRIC_DEFAULT, Cosine: swig.NVDB_METRIC_COSINE,
		Dot: swig.NVDB_METRIC_DOT, L2: swig.NVDB_METRIC_L2}
	for m, c := range metrics {
		if int(m) != c {
			t.Errorf("metric %s = %d, C has %d", m, int(m), c)
		}
	}
	if modeCreate != swig.NVDB_OPEN_CREATE || modeWrite != swig.NVDB_OPEN_WRITE || modeRead != swig.NVDB_OPEN_READ {
		t.Error("open modes differ from C's")
	}
	if swig.NVDB_FLAG_NO_SYNC != 1 {
		t.Error("NVDB_FLAG_NO_SYNC differs from the value NoSync passes")
	}
}

func TestAPIOpenGivesDimAndMetric(t *testing.T) {
	for _, m := range []Metric{MetricDefault, Cosine, Dot, L2} {
		db := openMemory(t, 5, WithMetric(m))
		want := m
		if m == MetricDefault {
			want = Cosine
		}
		if db.Dim() != 5 || db.Metric() != want {
			t.Errorf("WithMetric(%s): dim %d metric %s", m, db.Dim(), db.Metric())
		}
	}
}

func TestAPIUpsertReportsInsertedAndUpdatedIDs(t *testing.T) {
	db := openMemory(t, 2)
	report := mustUpsert(t, db, record("a", []float32{1, 0}, ""), record("b", []float32{0, 1}, ""))
	if !equalStrings(report.Inserted, []string{"a", "b"}) || len(report.Updated) != 0 {
		t.Fatalf("first upsert: %+v", report)
	}
	// b is updated; c is inserted twice in the batch: the last wins, reported once.
	report = mustUpsert(t, db,
		record("c", []float32{1, 1}, `{"v": 1}`),
		record("b", []float32{1, 0}, `{"new": true}`),
		record("c", []float32{-1, 1}, `{"v": 2}`))
	if !equalStrings(report.Inserted, []string{"c"}) || !equalStrings(report.Updated, []string{"b"}) {
		t.Fatalf("second upsert: %+v", report)
	}
	if n := mustCount(t, db); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	got, err := db.Get("b", "c")
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].Metadata) != `{"new":true}` || string(got[1].Metadata) != `{"v":2}` {
		t.Fatalf("replaced records: %s %s", got[0].Metadata, got[1].Metadata)
	}
	if got[1].Vector[0] > 0 {
		t.Fatalf("c keeps the last vector of the batch, got %v", got[1].Vector)
	}
}

func TestAPIGetReturnsTheOrderAskedAndSkipsUnknownIDs(t *testing.T) {
	db := openMemory(t, 2)
	mustUpsert(t, db, record("a", []float32{3, 4}, `{"n": 1}`), record("b", []float32{0, 2}, ""))
	got, err := db.Get("b", "missing", "a", "b", "")
	if err != nil {
		t.Fatal(err)
	}
	if ids := recordIDs(got); !equalStrings(ids, []string{"b", "a", "b"}) {
		t.Fatalf("ids %v", ids)
	}
	// Under cosine the stored vector is the normalised one.
	if a := got[1].Vector; math.Abs(float64(a[0])-0.6) > 1e-6 || math.Abs(float64(a[1])-0.8) > 1e-6 {
		t.Fatalf("a's vector %v, want [0.6 0.8]", a)
	}
	if string(got[1].Metadata) != `{"n":1}` || string(got[0].Metadata) != `{}` {
		t.Fatalf("metadata %s %s", got[1].Metadata, got[0].Metadata)
	}
	if none, err := db.Get(); err != nil || len(none) != 0 {
		t.Fatalf("Get(): %v %v", none, err)
	}
}

func TestAPIMetadataComesBackExactly(t *testing.T) {
	db := openMemory(t, 2)
	in := `{"z": 1, "a": [1, 2.50, {"x": null}], "big": 18446744073709551616, "neg": -0.0, ` +
		`"tiny": 1e-07, "text": "café ☕ 🚀 \"q\" \u0001", "名称": "值", "t": true, "o": {}}`
	mustUpsert(t, db, record("m", []float32{1, 0}, in))
	got, err := db.Get("m")
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(in)); err != nil {
		t.Fatal(err)
	}
	if string(got[0].Metadata) != compact.String() {
		t.Fatalf("metadata\n got %s\nwant %s", got[0].Metadata, compact.String())
	}
	hits, err := db.Query([]float32{1, 0}, 1)
	if err != nil || string(hits[0].Metadata) != compact.String() {
		t.Fatalf("query metadata %v %v", hits, err)
	}
}

func TestAPIDeleteRemovesAndCounts(t *testing.T) {
	db := openMemory(t, 2)
	mustUpsert(t, db, record("a", []float32{1, 0}, ""), record("b", []float32{0, 1}, ""),
		record("c", []float32{1, 1}, ""))
	n, err := db.Delete("a", "missing", "c", "a")
	if err != nil || n != 2 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if c := mustCount(t, db); c != 1 {
		t.Fatalf("count %d", c)
	}
	if got, _ := db.Get("a", "b", "c"); !equalStrings(recordIDs(got), []string{"b"}) {
		t.Fatalf("left %v", recordIDs(got))
	}
	if n, err := db.Delete(); err != nil || n != 0 {
		t.Fatalf("Delete(): %d %v", n, err)
	}
}

// fourRecords: unit vectors at known angles from [1, 0], so the cosine
// scores are known.
func fourRecords(t *testing.T, db *DB) {
	mustUpsert(t, db,
		record("east", []float32{1, 0}, `{"group": "a", "year": 2001, "tags": ["x"]}`),
		record("north-east", []float32{1, 1}, `{"group": "b", "year": 1999, "info": {"lang": "fr"}}`),
		record("north", []float32{0, 1}, `{"group": "a", "year": 2010}`),
		record("west", []float32{-1, 0}, `{"group": "b"}`))
}

func TestAPIQueryRanksWithTopKAndThreshold(t *testing.T) {
	db := openMemory(t, 2)
	fourRecords(t, db)
	q := []float32{2, 0}
	hits, err := db.Query(q, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"east", "north-east", "north", "west"}
	wantScores := []float64{1, math.Sqrt2 / 2, 0, -1}
	if !equalStrings(hitIDs(hits), wantIDs) {
		t.Fatalf("ids %v", hitIDs(hits))
	}
	for i, h := range hits {
		if math.Abs(float64(h.Score)-wantScores[i]) > 1e-6 {
			t.Errorf("%s scored %v, want %v", h.ID, h.Score, wantScores[i])
		}
	}
	if hits, _ := db.Query(q, 2); !equalStrings(hitIDs(hits), wantIDs[:2]) {
		t.Fatalf("top 2: %v", hitIDs(hits))
	}
	if hits, err := db.Query(q, 0); err != nil || len(hits) != 0 {
		t.Fatalf("k 0: %v %v", hits, err)
	}
	// The threshold keeps scores >= it.
	if hits, _ := db.Query(q, 10, WithThreshold(0)); !equalStrings(hitIDs(hits), wantIDs[:3]) {
		t.Fatalf("threshold 0: %v", hitIDs(hits))
	}
	if hits, _ := db.Query(q, 10, WithThreshold(1.5)); len(hits) != 0 {
		t.Fatalf("threshold 1.5: %v", hitIDs(hits))
	}
}

func TestAPIQueryTiesAreOrderedByID(t *testing.T) {
	db := openMemory(t, 2)
	mustUpsert(t, db, record("b", []float32{1, 0}, ""), record("c", []float32{2, 0}, ""),
		record("a", []float32{3, 0}, ""))
	hits, err := db.Query([]float32{1, 0}, 3)
	if err != nil || !equalStrings(hitIDs(hits), []string{"a", "b", "c"}) {
		t.Fatalf("ties: %v %v", hitIDs(hits), err)
	}
}

func TestAPIQueryFiltersOnMetadata(t *testing.T) {
	db := openMemory(t, 2)
	fourRecords(t, db)
	q := []float32{1, 0}
	cases := []struct {
		name  string
		where map[string]any
		want  []string
	}{
		{"equality", map[string]any{"group": "a"}, []string{"east", "north"}},
		{"$gte", map[string]any{"year": map[string]any{"$gte": 2000}}, []string{"east", "north"}},
		{"$lt and equality", map[string]any{"group": "b", "year": map[string]any{"$lt": 2000}}, []string{"north-east"}},
		{"$in", map[string]any{"group": map[string]any{"$in": []any{"b", "z"}}}, []string{"north-east", "west"}},
		{"$ne is true when missing", map[string]any{"year": map[string]any{"$ne": 2001}}, []string{"north-east", "north", "west"}},
		{"$exists false", map[string]any{"year": map[string]any{"$exists": false}}, []string{"west"}},
		{"$or", map[string]any{"$or": []any{map[string]any{"year": 2010}, map[string]any{"group": "b"}}}, []string{"north-east", "north", "west"}},
		{"$not", map[string]any{"$not": map[string]any{"group": "a"}}, []string{"north-east", "west"}},
		{"dotted name", map[string]any{"info.lang": "fr"}, []string{"north-east"}},
		{"array equality", map[string]any{"tags": []any{"x"}}, []string{"east"}},
		{"nothing", map[string]any{"group": "none"}, []string{}},
		{"nil map: no filter", nil, []string{"east", "north-east", "north", "west"}},
	}
	for _, c := range cases {
		hits, err := db.Query(q, 10, WithFilter(c.where))
		if err != nil || !equalStrings(hitIDs(hits), c.want) {
			t.Errorf("%s: got %v (%v), want %v", c.name, hitIDs(hits), err, c.want)
		}
	}
	hits, err := db.Query(q, 10, WithFilterJSON(`{"group": "b"}`), WithThreshold(0.5))
	if err != nil || !equalStrings(hitIDs(hits), []string{"north-east"}) {
		t.Fatalf("JSON filter with threshold: %v %v", hitIDs(hits), err)
	}
}

func TestAPIMetricsScoreHigherIsBetter(t *testing.T) {
	dot := openMemory(t, 2, WithMetric(Dot))
	mustUpsert(t, dot, record("a", []float32{1, 2}, ""), record("b", []float32{3, 0}, ""))
	hits, err := dot.Query([]float32{1, 1}, 2)
	if err != nil || !equalStrings(hitIDs(hits), []string{"a", "b"}) || hits[0].Score != 3 || hits[1].Score != 3 {
		t.Fatalf("dot: %+v %v", hits, err)
	}
	l2 := openMemory(t, 2, WithMetric(L2))
	mustUpsert(t, l2, record("near", []float32{1, 1}, ""), record("far", []float32{4, 5}, ""))
	hits, err = l2.Query([]float32{1, 2}, 2)
	if err != nil || !equalStrings(hitIDs(hits), []string{"near", "far"}) {
		t.Fatalf("l2: %+v %v", hits, err)
	}
	// l2 reports minus the Euclidean distance.
	if hits[0].Score != -1 || math.Abs(float64(hits[1].Score)+math.Sqrt(18)) > 1e-6 {
		t.Fatalf("l2 scores %v %v, want -1 -sqrt(18)", hits[0].Score, hits[1].Score)
	}
}

func TestAPIGeneratedIDsAreTheMD5OfTheVector(t *testing.T) {
	db := openMemory(t, 3)
	v := []float32{0.5, -2, 3.25}
	report, err := db.Upsert([]Record{{Vector: v}, {ID: "given", Vector: v}}, GenerateIDs())
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	sum := md5.Sum(raw)
	want := hex.EncodeToString(sum[:])
	if !equalStrings(report.Inserted, []string{want, "given"}) {
		t.Fatalf("inserted %v, want [%s given]", report.Inserted, want)
	}
}

func TestAPIAdditionalDataIsSetAndReadWhole(t *testing.T) {
	db := openMemory(t, 2)
	got, err := db.AdditionalData()
	if err != nil || string(got) != "{}" {
		t.Fatalf("initial additional data %s %v", got, err)
	}
	if err := db.SetAdditionalData(json.RawMessage(`{"model": "m-ü", "params": {"chunk": 512}}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdditionalData(json.RawMessage(`{"model": "m2"}`)); err != nil {
		t.Fatal(err)
	}
	got, err = db.AdditionalData()
	if err != nil || string(got) != `{"model":"m2"}` {
		t.Fatalf("additional data %s %v", got, err)
	}
}

func TestAPIInfoDescribesTheDatabase(t *testing.T) {
	db := openMemory(t, 4, WithMetric(Dot))
	mustUpsert(t, db, record("a", []float32{1, 2, 3, 4}, ""))
	raw, err := db.Info()
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Dim      int    `json:"dim"`
		Metric   string `json:"metric"`
		Count    int    `json:"count"`
		Storage  string `json:"storage"`
		ReadOnly bool   `json:"read_only"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatalf("info %s: %v", raw, err)
	}
	if info.Dim != 4 || info.Metric != "dot" || info.Count != 1 || info.Storage != "memory" || info.ReadOnly {
		t.Fatalf("info %s", raw)
	}
}

func TestAPIJSONFileIsSavedAndReopened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.json")
	db, err := Open(path, WithDim(2))
	if err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, db, record("a", []float32{1, 0}, `{"k": "v"}`), record("b", []float32{0, 1}, ""))
	if err := db.SetAdditionalData(json.RawMessage(`{"x": 1}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.Save(); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, db, record("c", []float32{1, 1}, ""))
	if err := db.Close(); err != nil { // saves again
		t.Fatal(err)
	}
	db, err = Open(path, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := mustCount(t, db); n != 3 || db.Dim() != 2 {
		t.Fatalf("reopened: count %d dim %d", n, db.Dim())
	}
	hits, err := db.Query([]float32{1, 0}, 1)
	if err != nil || hits[0].ID != "a" || string(hits[0].Metadata) != `{"k":"v"}` {
		t.Fatalf("reopened query: %+v %v", hits, err)
	}
	if extra, _ := db.AdditionalData(); string(extra) != `{"x":1}` {
		t.Fatalf("reopened additional data %s", extra)
	}
}

func TestAPIImportAndExportNanoVectorDBFiles(t *testing.T) {
	fixture := fixturePath(t, "a_small.db.json")
	db := openMemory(t, 8)
	mustUpsert(t, db, record("mine", []float32{1, 2, 3, 4, 5, 6, 7, 8}, ""))
	if err := db.ImportJSON(fixture); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db); n != 51 {
		t.Fatalf("count after import %d, want 51", n)
	}
	extra, err := db.AdditionalData()
	if err != nil || !bytes.Contains(extra, []byte(`"model":"fixture-model-ü"`)) {
		t.Fatalf("imported additional data %s %v", extra, err)
	}
	if n, err := db.Delete("mine"); err != nil || n != 1 {
		t.Fatalf("delete mine: %d %v", n, err)
	}
	// What is left is the fixture's content: it exports to the very bytes
	// the Python package wrote.
	out := filepath.Join(t.TempDir(), "out.json")
	if err := db.ExportJSON(out); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(fixture)
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want) {
		t.Fatalf("export differs from the fixture: %d bytes, want %d", len(got), len(want))
	}
	// The exported file opens and answers as the original.
	reopened, err := Open(out, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if n := mustCount(t, reopened); n != 50 {
		t.Fatalf("exported count %d", n)
	}
}

func TestAPIBatchOperations(t *testing.T) {
	const n, dim = 2000, 16
	db := openMemory(t, dim)
	records := make([]Record, n)
	ids := make([]string, n)
	for i := range records {
		v := make([]float32, dim)
		v[i%dim] = 1
		v[(i+1)%dim] = float32(i + 1)
		ids[i] = fmt.Sprintf("id-%04d", i)
		records[i] = record(ids[i], v, fmt.Sprintf(`{"i": %d}`, i))
	}
	report, err := db.Upsert(records)
	if err != nil || len(report.Inserted) != n {
		t.Fatalf("batch upsert: %d inserted, %v", len(report.Inserted), err)
	}
	got, err := db.Get(ids...)
	if err != nil || !equalStrings(recordIDs(got), ids) {
		t.Fatalf("batch get: %d records, %v", len(got), err)
	}
	for i, r := range got {
		if string(r.Metadata) != fmt.Sprintf(`{"i":%d}`, i) || len(r.Vector) != dim {
			t.Fatalf("record %d: %s %v", i, r.Metadata, r.Vector)
		}
	}
	removed, err := db.Delete(ids[:n/2]...)
	if err != nil || removed != n/2 || mustCount(t, db) != n/2 {
		t.Fatalf("batch delete: %d %v", removed, err)
	}
	report, err = db.Upsert(records)
	if err != nil || len(report.Inserted) != n/2 || len(report.Updated) != n/2 {
		t.Fatalf("batch re-upsert: %d inserted %d updated, %v", len(report.Inserted), len(report.Updated), err)
	}
}

func TestAPICopyFromCopiesRecordsAndAdditionalData(t *testing.T) {
	src := openMemory(t, 2)
	mustUpsert(t, src, record("a", []float32{1, 0}, `{"x": 1}`), record("b", []float32{0, 1}, ""))
	if err := src.SetAdditionalData(json.RawMessage(`{"from": "src"}`)); err != nil {
		t.Fatal(err)
	}
	dst := openMemory(t, 2)
	mustUpsert(t, dst, record("c", []float32{1, 1}, ""))
	if err := dst.CopyFrom(src); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, dst); n != 3 {
		t.Fatalf("count %d", n)
	}
	if extra, _ := dst.AdditionalData(); string(extra) != `{"from":"src"}` {
		t.Fatalf("additional data %s", extra)
	}
	if err := dst.CopyFrom(dst); err != nil {
		t.Fatalf("copy onto itself: %v", err)
	}
	requireStatus(t, openMemory(t, 3).CopyFrom(src), ErrMismatch)
}
