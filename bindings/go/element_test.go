package nvdb

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func compactRows(n, dim int) [][]float32 {
	random := rand.New(rand.NewSource(17))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = float32(random.NormFloat64())
		}
	}
	return rows
}

func openLoaded(t *testing.T, locator string, typ ElementType, rows [][]float32) *DB {
	t.Helper()
	db, err := Open(locator, WithDim(len(rows[0])), WithMetric(L2), WithElementType(typ))
	if err != nil {
		t.Fatalf("open %s as %v: %v", locator, typ, err)
	}
	records := make([]Record, len(rows))
	for i, v := range rows {
		records[i] = Record{ID: "r" + strconv.Itoa(i), Vector: v}
	}
	mustUpsert(t, db, records...)
	return db
}

func TestCompactScansGiveFloat32AnswersAndOriginals(t *testing.T) {
	rows := compactRows(2000, 48)
	exact := openLoaded(t, ":memory:", Float32, rows)
	defer exact.Close()
	for _, typ := range []ElementType{Float16, BFloat16, Int8} {
		compact := openLoaded(t, ":memory:", typ, rows)
		if got := compact.ElementType(); got != typ {
			t.Errorf("ElementType() = %v, want %v", got, typ)
		}
		for q := 0; q < 20; q++ {
			got, err := compact.Query(rows[q*7], 5)
			if err != nil {
				t.Fatal(err)
			}
			want, err := exact.Query(rows[q*7], 5)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) { // ids, exact scores and metadata
				t.Errorf("%v query %d: %v, float32 gives %v", typ, q, got, want)
			}
		}
		recs, err := compact.Get("r11")
		if err != nil || len(recs) != 1 || !reflect.DeepEqual(recs[0].Vector, rows[11]) {
			t.Errorf("%v: Get(r11) = %v, %v; want the float32 vector as given", typ, recs, err)
		}
		info, err := compact.Info()
		if err != nil || !strings.Contains(string(info), `"element_type":"`+typ.String()+`"`) {
			t.Errorf("%v: Info() = %s, %v", typ, info, err)
		}
		compact.Close()
	}
	if exact.ElementType() != Float32 {
		t.Errorf("float32 database reports %v", exact.ElementType())
	}
}

func TestCompactStoresKeepTheirTypeAndRefuseAnother(t *testing.T) {
	file := filepath.Join(t.TempDir(), "compact.nvdb")
	rows := compactRows(100, 8)
	openLoaded(t, file, Int8, rows).Close()
	db, err := Open(file, MustExist())
	if err != nil {
		t.Fatal(err)
	}
	if db.ElementType() != Int8 || mustCount(t, db) != 100 {
		t.Errorf("reopened: %v with %d records", db.ElementType(), mustCount(t, db))
	}
	db.Close()
	reader, err := Open(file, ReadOnly(), WithElementType(Int8))
	if err != nil {
		t.Fatal(err)
	}
	hits, err := reader.Query(rows[3], 1)
	if err != nil || len(hits) != 1 || hits[0].ID != "r3" {
		t.Errorf("reader query: %v, %v", hits, err)
	}
	reader.Close()
	_, err = Open(file, ReadOnly(), WithElementType(Float16))
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "int8") {
		t.Errorf("open as float16: %v, want ErrMismatch naming int8", err)
	}
}

func TestCompactJSONFilesAreFloat32Only(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	if _, err := Open(path, WithDim(4), WithElementType(BFloat16)); !errors.Is(err, ErrMismatch) {
		t.Errorf("open .json as bfloat16: %v, want ErrMismatch", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused open created %s", path)
	}
	db := openMemory(t, 3)
	if db.ElementType() != Float32 {
		t.Errorf("default element type %v, want float32", db.ElementType())
	}
}
