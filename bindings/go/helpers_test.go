package nvdb

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// openMemory opens a private database closed when the test ends.
func openMemory(t testing.TB, dim int, opts ...Option) *DB {
	t.Helper()
	db, err := Open(":memory:", append([]Option{WithDim(dim)}, opts...)...)
	if err != nil {
		t.Fatalf("open :memory: dim %d: %v", dim, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustUpsert(t testing.TB, db *DB, records ...Record) Report {
	t.Helper()
	report, err := db.Upsert(records)
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	return report
}

func mustCount(t testing.TB, db *DB) int {
	t.Helper()
	n, err := db.Count()
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

// requireStatus checks that err is an *Error with this status and a message.
func requireStatus(t testing.TB, err error, want Status) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want.Name())
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %s", err, want.Name())
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *nvdb.Error", err)
	}
	if e.Status != want || e.Message == "" || e.Op == "" {
		t.Fatalf("error %#v: want status %s, an operation and a message", e, want.Name())
	}
	return e
}

func record(id string, vector []float32, metadata string) Record {
	r := Record{ID: id, Vector: vector}
	if metadata != "" {
		r.Metadata = json.RawMessage(metadata)
	}
	return r
}

// ids lists the ids of hits or records.
func hitIDs(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func recordIDs(records []Record) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.ID
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var shmCounter atomic.Int64

// shmName gives a shared-memory store name unique to this process and
// test, and removes its /dev/shm objects when the test ends.
func shmName(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("go-test-%d-%d", os.Getpid(), shmCounter.Add(1))
	t.Cleanup(func() { removeShm(name) })
	return name
}

func removeShm(name string) {
	matches, _ := filepath.Glob("/dev/shm/nvdb-" + name + "*")
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// rssKiB is the resident set size of this process (VmRSS), after a garbage
// collection that returns free memory to the system.
func rssKiB(t testing.TB) int {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatalf("reading VmRSS: %v", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 2 && fields[0] == "VmRSS:" {
			kib, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("VmRSS %q: %v", scanner.Text(), err)
			}
			return kib
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
