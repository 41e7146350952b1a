package nvdb

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// storeKinds gives a fresh locator of each kind of store, cleaned up when
// the test ends, and the file whose permissions the store is created with.
var storeKinds = []struct {
	name    string
	locator func(t *testing.T) (locator, root string)
}{
	{"shm", func(t *testing.T) (string, string) {
		name := shmName(t)
		return "shm:" + name, "/dev/shm/nvdb-" + name
	}},
	{"file", func(t *testing.T) (string, string) {
		path := filepath.Join(t.TempDir(), "vectors.nvdb")
		return path, path
	}},
}

func openStore(t *testing.T, locator string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(locator, opts...)
	if err != nil {
		t.Fatalf("open %s: %v", locator, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStoreWriterAndReadersInOneProcess(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			locator, _ := kind.locator(t)
			writer := openStore(t, locator, WithDim(2), NoSync())
			mustUpsert(t, writer, record("a", []float32{1, 0}, `{"n": 1}`))
			reader := openStore(t, locator, ReadOnly())
			if n := mustCount(t, reader); n != 1 || reader.Dim() != 2 {
				t.Fatalf("reader: count %d dim %d", n, reader.Dim())
			}
			// The reader sees each commit of the writer on its next read.
			mustUpsert(t, writer, record("b", []float32{0, 1}, `{"n": 2}`))
			if err := writer.SetAdditionalData(json.RawMessage(`{"v": 2}`)); err != nil {
				t.Fatal(err)
			}
			hits, err := reader.Query([]float32{0, 1}, 1)
			if err != nil || len(hits) != 1 || hits[0].ID != "b" || string(hits[0].Metadata) != `{"n":2}` {
				t.Fatalf("reader query after commit: %+v %v", hits, err)
			}
			if extra, _ := reader.AdditionalData(); string(extra) != `{"v":2}` {
				t.Fatalf("reader additional data %s", extra)
			}
			if _, err := writer.Delete("a"); err != nil {
				t.Fatal(err)
			}
			if got, _ := reader.Get("a", "b"); !equalStrings(recordIDs(got), []string{"b"}) {
				t.Fatalf("reader get after delete: %v", recordIDs(got))
			}
			// A reader cannot write.
			_, err = reader.Upsert([]Record{record("c", []float32{1, 1}, "")})
			requireStatus(t, err, ErrReadOnly)
			_, err = reader.Delete("b")
			requireStatus(t, err, ErrReadOnly)
			requireStatus(t, reader.SetAdditionalData(json.RawMessage(`{}`)), ErrReadOnly)
			requireStatus(t, reader.ImportJSON(fixturePath(t, "a_small.db.json")), ErrReadOnly)
			// A second writer is refused while the first lives, not after.
			_, err = Open(locator, WithDim(2))
			requireStatus(t, err, ErrBusy)
			_, err = Open(locator, MustExist())
			requireStatus(t, err, ErrBusy)
			if err := writer.Close(); err != nil {
				t.Fatal(err)
			}
			next := openStore(t, locator, MustExist())
			if n := mustCount(t, next); n != 1 {
				t.Fatalf("next writer: count %d", n)
			}
			// The reader keeps answering.
			if n := mustCount(t, reader); n != 1 {
				t.Fatalf("reader after the writer closed: count %d", n)
			}
		})
	}
}

func TestStoreOpenChecksDimAndMetric(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			locator, _ := kind.locator(t)
			_, err := Open(locator, ReadOnly())
			requireStatus(t, err, ErrNotFound)
			_, err = Open(locator)
			requireStatus(t, err, ErrInvalid) // creating needs a dim
			writer := openStore(t, locator, WithDim(3), WithMetric(L2))
			mustUpsert(t, writer, record("a", []float32{1, 2, 3}, ""))
			_, err = Open(locator, ReadOnly(), WithDim(4))
			requireStatus(t, err, ErrMismatch)
			_, err = Open(locator, ReadOnly(), WithMetric(Dot))
			requireStatus(t, err, ErrMismatch)
			reader := openStore(t, locator, ReadOnly(), WithDim(3))
			if reader.Metric() != L2 {
				t.Fatalf("reader metric %s", reader.Metric())
			}
		})
	}
}

func TestStorePermissions(t *testing.T) {
	for _, kind := range storeKinds {
		for _, perm := range []os.FileMode{0, 0o640} {
			t.Run(fmt.Sprintf("%s/%o", kind.name, perm), func(t *testing.T) {
				locator, root := kind.locator(t)
				openStore(t, locator, WithDim(2), WithPermissions(perm))
				info, err := os.Stat(root)
				if err != nil {
					t.Fatal(err)
				}
				want := perm
				if want == 0 {
					want = 0o600
				}
				if info.Mode().Perm() != want {
					t.Fatalf("%s has mode %o, want %o", root, info.Mode().Perm(), want)
				}
			})
		}
	}
}

func TestStoreFilePersistsAcrossOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "persist.nvdb")
	db := openStore(t, path, WithDim(2))
	mustUpsert(t, db, record("a", []float32{1, 0}, `{"x": "y"}`))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	reader := openStore(t, path, ReadOnly())
	got, err := reader.Get("a")
	if err != nil || len(got) != 1 || string(got[0].Metadata) != `{"x":"y"}` {
		t.Fatalf("reopened: %v %v", got, err)
	}
}

// Save flushes the commits of a NoSync store file, so that a power loss
// keeps them: Info's durable_epoch reaches the epoch, and stays there when
// the store is reopened.
func TestStoreSaveMakesTheCommitsOfANoSyncFileDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flushed.nvdb")
	writer := openStore(t, path, WithDim(2), NoSync())
	mustUpsert(t, writer, record("a", []float32{1, 0}, ""))
	if epoch, durable := epochs(t, writer); durable >= epoch {
		t.Fatalf("before save: durable_epoch %d, epoch %d; want the upsert not yet flushed", durable, epoch)
	}
	if err := writer.Save(); err != nil {
		t.Fatal(err)
	}
	if epoch, durable := epochs(t, writer); durable != epoch {
		t.Fatalf("after save: durable_epoch %d, epoch %d", durable, epoch)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	reader := openStore(t, path, ReadOnly())
	if epoch, durable := epochs(t, reader); durable != epoch {
		t.Fatalf("reopened: durable_epoch %d, epoch %d", durable, epoch)
	}
}

// epochs reads a store file's epoch and durable_epoch from Info.
func epochs(t *testing.T, db *DB) (epoch, durable uint64) {
	t.Helper()
	raw, err := db.Info()
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Epoch   *uint64 `json:"epoch"`
		Durable *uint64 `json:"durable_epoch"`
	}
	if err := json.Unmarshal(raw, &info); err != nil || info.Epoch == nil || info.Durable == nil {
		t.Fatalf("info %s: %v", raw, err)
	}
	return *info.Epoch, *info.Durable
}

// The helper process of the tests below: it opens the store named by
// NVDB_GO_HELPER_LOCATOR as NVDB_GO_HELPER says and reports on stdout.
func TestStoreHelperProcess(t *testing.T) {
	mode := os.Getenv("NVDB_GO_HELPER")
	if mode == "" {
		t.Skip("only runs as a child process of the store tests")
	}
	locator := os.Getenv("NVDB_GO_HELPER_LOCATOR")
	switch mode {
	case "reader":
		db, err := Open(locator, ReadOnly())
		if err != nil {
			fmt.Println("open:", err)
			return
		}
		defer db.Close()
		n, _ := db.Count()
		hits, err := db.Query([]float32{0, 1}, 1)
		_, writeErr := db.Upsert([]Record{record("x", []float32{1, 1}, "")})
		fmt.Printf("count=%d top=%s err=%v readonly=%v\n", n, hitIDs(hits), err, writeErr != nil && isStatus(writeErr, ErrReadOnly))
	case "writer":
		_, err := Open(locator, MustExist())
		fmt.Printf("busy=%v\n", isStatus(err, ErrBusy))
	}
}

func isStatus(err error, s Status) bool {
	e, ok := err.(*Error)
	return ok && e.Status == s
}

func runHelper(t *testing.T, mode, locator string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreHelperProcess$")
	cmd.Env = append(os.Environ(), "NVDB_GO_HELPER="+mode, "NVDB_GO_HELPER_LOCATOR="+locator)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	return string(out)
}

func TestStoreReaderAndWriterInOtherProcesses(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			locator, _ := kind.locator(t)
			writer := openStore(t, locator, WithDim(2), NoSync())
			mustUpsert(t, writer, record("a", []float32{1, 0}, ""))
			if out := runHelper(t, "reader", locator); !strings.Contains(out, "count=1 top=[a] err=<nil> readonly=true") {
				t.Fatalf("reader process before the commit: %s", out)
			}
			mustUpsert(t, writer, record("b", []float32{0, 1}, ""))
			if out := runHelper(t, "reader", locator); !strings.Contains(out, "count=2 top=[b] err=<nil> readonly=true") {
				t.Fatalf("reader process after the commit: %s", out)
			}
			if out := runHelper(t, "writer", locator); !strings.Contains(out, "busy=true") {
				t.Fatalf("second writer process: %s", out)
			}
		})
	}
}

// Verify finds a sound store sound and names the damage of a broken one;
// Compact drops the dead rows and readers follow.
func TestStoreVerifyAndCompact(t *testing.T) {
	locator := filepath.Join(t.TempDir(), "maintained.nvdb")
	writer := openStore(t, locator, WithDim(4))
	for i := 0; i < 4; i++ {
		mustUpsert(t, writer, record(fmt.Sprintf("r%d", i), []float32{1, float32(i), 0, 1}, ""))
	}
	if _, err := writer.Delete("r0"); err != nil {
		t.Fatal(err)
	}
	v, err := writer.Verify()
	if err != nil || !v.Sound || !strings.Contains(string(v.Report), `"rows":4,"live":3,`) {
		t.Fatalf("verify: %+v %v", v, err)
	}
	if err := writer.Compact(); err != nil {
		t.Fatal(err)
	}
	info, _ := writer.Info()
	if !strings.Contains(string(info), `"generation":2,`) || !strings.Contains(string(info), `"rows":3,`) {
		t.Fatalf("after compact: %s", info)
	}
	mustUpsert(t, writer, record("r9", []float32{0, 0, 1, 0}, ""))
	reader := openStore(t, locator, ReadOnly())
	if n := mustCount(t, reader); n != 4 {
		t.Fatalf("reader count %d", n)
	}
	requireStatus(t, reader.Compact(), ErrReadOnly)
	if v, err := reader.Verify(); err != nil || !v.Sound {
		t.Fatalf("reader verify: %+v %v", v, err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}

	// Row 0's heap offset in generation 2 (dim 4, 1,024 rows: row entries start at 20480).
	data, err := os.OpenFile(locator+".2", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = data.WriteAt([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 20480)
	if cerr := data.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	damaged := openStore(t, locator, ReadOnly())
	v, err = damaged.Verify()
	if err != nil || v.Sound || !strings.Contains(string(v.Report), "row 0: its id and metadata lie outside the heap") {
		t.Fatalf("damaged verify: %+v %v", v, err)
	}
	if _, err := writer.Verify(); err == nil {
		t.Fatal("verify on a closed handle succeeded")
	}
}
