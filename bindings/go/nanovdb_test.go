package nvdb

// nano-vectordb compatibility: the expectations the Python package recorded
// in tests/fixtures/*.expected.json, reproduced through the Go binding.

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// fixturePath is a file of tests/fixtures, found through NVDB_FIXTURES
// (CTest sets it).
func fixturePath(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("NVDB_FIXTURES")
	if dir == "" {
		t.Fatal("NVDB_FIXTURES is not set: run the tests through CTest, or point it at tests/fixtures")
	}
	return filepath.Join(dir, name)
}

// decode parses JSON keeping numbers as their text, so that metadata
// compares exactly (big integers, -0.0, 1e-07).
func decode(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("parsing %.80s: %v", data, err)
	}
	return v
}

type expectation map[string]any

func loadExpected(t testing.TB, fixture string) expectation {
	t.Helper()
	data, err := os.ReadFile(fixturePath(t, fixture+".expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, data).(map[string]any)
}

// has tells whether the fixture recorded this expectation (an empty
// database has nothing to filter or get).
func (e expectation) has(key string) bool { return e[key] != nil }

func (e expectation) object(key string) map[string]any { return e[key].(map[string]any) }

func number(v any) float64 {
	f, err := v.(json.Number).Float64()
	if err != nil {
		panic(err)
	}
	return f
}

func floats(v any) []float32 {
	items := v.([]any)
	out := make([]float32, len(items))
	for i, x := range items {
		out[i] = float32(number(x))
	}
	return out
}

// idText is an id as nvdb has it: ids the Python package kept as ints are
// their decimal text.
func idText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return v.(json.Number).String()
}

// metadataPart is a record as nano-vectordb returns it, minus "__id__" and
// "__metrics__".
func metadataPart(record any) map[string]any {
	out := map[string]any{}
	for k, v := range record.(map[string]any) {
		if k != "__id__" && k != "__metrics__" {
			out[k] = v
		}
	}
	return out
}

func openFixture(t *testing.T, fixture string) *DB {
	t.Helper()
	db, err := Open(fixturePath(t, fixture+".db.json"), ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func checkQuery(t *testing.T, db *DB, q map[string]any, opts ...QueryOption) {
	t.Helper()
	if th, ok := q["better_than_threshold"]; ok {
		opts = append(opts, WithThreshold(float32(number(th))))
	}
	k, _ := strconv.Atoi(q["top_k"].(json.Number).String())
	hits, err := db.Query(floats(q["vector"]), k, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ids, scores, records := q["ids"].([]any), q["scores"].([]any), q["records"].([]any)
	if len(hits) != len(ids) {
		t.Fatalf("%d hits, want %d", len(hits), len(ids))
	}
	for i, h := range hits {
		if h.ID != idText(ids[i]) {
			t.Errorf("hit %d: id %q, want %q", i, h.ID, idText(ids[i]))
		}
		if math.Abs(float64(h.Score)-number(scores[i])) > 1e-5 {
			t.Errorf("hit %d: score %v, want %v", i, h.Score, number(scores[i]))
		}
		if got, want := decode(t, h.Metadata), metadataPart(records[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("hit %d: metadata\n got %v\nwant %v", i, got, want)
		}
	}
}

// The fixtures nano-vectordb can load (f_int_ids has colliding ids, which
// nvdb refuses by design).
var loadable = []string{"a_small", "b_autoid", "e_empty", "g_int_ids_plain"}

func forEachFixture(t *testing.T, test func(t *testing.T, exp expectation, db *DB)) {
	for _, fixture := range loadable {
		t.Run(fixture, func(t *testing.T) { test(t, loadExpected(t, fixture), openFixture(t, fixture)) })
	}
}

func TestNanoVDBCountDimAndAdditionalData(t *testing.T) {
	forEachFixture(t, func(t *testing.T, exp expectation, db *DB) {
		if n := mustCount(t, db); float64(n) != number(exp["len"]) {
			t.Errorf("count %d, want %v", n, exp["len"])
		}
		if float64(db.Dim()) != number(exp["embedding_dim"]) || db.Metric() != Cosine {
			t.Errorf("dim %d metric %s", db.Dim(), db.Metric())
		}
		extra, err := db.AdditionalData()
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, extra); !reflect.DeepEqual(got, exp["additional_data"]) {
			t.Errorf("additional data %v, want %v", got, exp["additional_data"])
		}
	})
}

func TestNanoVDBQueriesGiveTheSameIDsAndScores(t *testing.T) {
	forEachFixture(t, func(t *testing.T, exp expectation, db *DB) {
		for _, q := range exp["queries"].([]any) {
			checkQuery(t, db, q.(map[string]any))
		}
	})
}

func TestNanoVDBThresholdQuery(t *testing.T) {
	forEachFixture(t, func(t *testing.T, exp expectation, db *DB) {
		if exp.has("threshold_query") {
			checkQuery(t, db, exp.object("threshold_query"))
		}
	})
}

// nano-vectordb's filter_lambda `d.get(field) == value` is the declarative
// filter {field: value}.
func TestNanoVDBFilteredQuery(t *testing.T) {
	forEachFixture(t, func(t *testing.T, exp expectation, db *DB) {
		if !exp.has("filtered_query") {
			return
		}
		q := exp.object("filtered_query")
		f := q["filter"].(map[string]any)
		checkQuery(t, db, q, WithFilter(map[string]any{f["field"].(string): f["equals"]}))
	})
}

// nano-vectordb returns storage order; nvdb the order asked. The same
// records come back either way.
func TestNanoVDBGetReturnsTheSameRecords(t *testing.T) {
	forEachFixture(t, func(t *testing.T, exp expectation, db *DB) {
		if !exp.has("get") {
			return
		}
		g := exp.object("get")
		var asked []string
		for _, id := range g["ids"].([]any) {
			asked = append(asked, idText(id))
		}
		want := map[string]map[string]any{}
		for _, r := range g["results"].([]any) {
			want[idText(r.(map[string]any)["__id__"])] = metadataPart(r)
		}
		got, err := db.Get(asked...)
		if err != nil {
			t.Fatal(err)
		}
		var wantOrder []string
		for _, id := range asked {
			if _, ok := want[id]; ok {
				wantOrder = append(wantOrder, id)
			}
		}
		if !equalStrings(recordIDs(got), wantOrder) {
			t.Fatalf("ids %v, want %v", recordIDs(got), wantOrder)
		}
		for _, r := range got {
			if m := decode(t, r.Metadata); !reflect.DeepEqual(m, want[r.ID]) {
				t.Errorf("%s: metadata\n got %v\nwant %v", r.ID, m, want[r.ID])
			}
		}
	})
}

// Writing a loaded file back gives the Python writer's bytes exactly.
func TestNanoVDBExportReproducesTheFile(t *testing.T) {
	forEachFixture(t, func(t *testing.T, exp expectation, db *DB) {
		out := filepath.Join(t.TempDir(), "out.json")
		if err := db.ExportJSON(out); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		want, _ := os.ReadFile(fixturePath(t, exp["db_file"].(string)))
		if !bytes.Equal(got, want) {
			t.Fatalf("export: %d bytes differ from the fixture's %d", len(got), len(want))
		}
	})
}

// Imported into a database of another kind, a file answers the same.
func TestNanoVDBImportedFileAnswersTheSame(t *testing.T) {
	for _, fixture := range []string{"a_small", "b_autoid"} {
		t.Run(fixture, func(t *testing.T) {
			exp := loadExpected(t, fixture)
			dim, _ := strconv.Atoi(exp["embedding_dim"].(json.Number).String())
			db := openMemory(t, dim)
			if err := db.ImportJSON(fixturePath(t, fixture+".db.json")); err != nil {
				t.Fatal(err)
			}
			for _, q := range exp["queries"].([]any) {
				checkQuery(t, db, q.(map[string]any))
			}
			checkQuery(t, db, exp.object("threshold_query"))
		})
	}
}

func TestNanoVDBAutoIDsAreTheMD5OfTheInputVectors(t *testing.T) {
	exp := loadExpected(t, "b_autoid")
	dim, _ := strconv.Atoi(exp["embedding_dim"].(json.Number).String())
	db := openMemory(t, dim)
	var records []Record
	var want []string
	for _, in := range exp.object("auto_ids")["inputs"].([]any) {
		input := in.(map[string]any)
		records = append(records, Record{Vector: floats(input["vector_f32"])})
		want = append(want, input["md5_id"].(string))
	}
	report, err := db.Upsert(records, GenerateIDs())
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(report.Inserted, want) {
		t.Fatalf("generated ids\n got %v\nwant %v", report.Inserted, want)
	}
}
