package nvdb

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func randomVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func randomDB(t *testing.T, n, dim int) *DB {
	db := openMemory(t, dim)
	r := rand.New(rand.NewSource(1))
	records := make([]Record, n)
	for i := range records {
		records[i] = record(fmt.Sprintf("r%04d", i), randomVector(r, dim), fmt.Sprintf(`{"i": %d, "odd": %t}`, i, i%2 == 1))
	}
	mustUpsert(t, db, records...)
	return db
}

func sameHits(a, b []Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Score != b[i].Score || string(a[i].Metadata) != string(b[i].Metadata) {
			return false
		}
	}
	return true
}

// Sixteen goroutines query one handle at once; every answer is the one a
// single goroutine gets.
func TestThreadsConcurrentQueriesOnOneHandle(t *testing.T) {
	const goroutines, dim = 16, 16
	rounds := 300
	if testing.Short() { // under the race detector
		rounds = 30
	}
	db := randomDB(t, 500, dim)
	r := rand.New(rand.NewSource(2))
	queries := make([][]float32, 32)
	want := make([][]Hit, len(queries))
	for i := range queries {
		queries[i] = randomVector(r, dim)
		var err error
		want[i], err = db.Query(queries[i], 10, WithFilter(map[string]any{"odd": i%2 == 0}))
		if err != nil || len(want[i]) != 10 {
			t.Fatalf("query %d: %d hits, %v", i, len(want[i]), err)
		}
	}
	var wg sync.WaitGroup
	failures := make(chan string, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				i := (g + round) % len(queries)
				got, err := db.Query(queries[i], 10, WithFilter(map[string]any{"odd": i%2 == 0}))
				if err != nil || !sameHits(got, want[i]) {
					failures <- fmt.Sprintf("goroutine %d, query %d: %v", g, i, err)
					return
				}
				if n, err := db.Count(); err != nil || n != 500 {
					failures <- fmt.Sprintf("goroutine %d: count %d %v", g, n, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

// Each goroutine's error carries its own message, although goroutines move
// between OS threads and nvdb's messages are per thread.
func TestThreadsErrorMessagesStayWithTheirCall(t *testing.T) {
	db := openMemory(t, 64)
	rounds := 2000
	if testing.Short() {
		rounds = 200
	}
	var wg sync.WaitGroup
	failures := make(chan string, 8)
	for g := 1; g <= 8; g++ {
		wg.Add(1)
		go func(length int) {
			defer wg.Done()
			v := make([]float32, length)
			v[0] = 1
			for round := 0; round < rounds; round++ {
				_, err := db.Query(v, 1)
				var e *Error
				if !errors.As(err, &e) || e.Status != ErrDim ||
					!strings.Contains(e.Message, fmt.Sprintf(" %d components", length)) {
					failures <- fmt.Sprintf("length %d: %v", length, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

// Readers running during writes see each batch wholly or not at all.
func TestThreadsReadsDuringWritesSeeWholeBatches(t *testing.T) {
	const batch, readers, dim = 10, 8, 4
	batches := 100
	if testing.Short() {
		batches = 20
	}
	db := openMemory(t, dim)
	done := make(chan struct{})
	started := make(chan struct{}, readers)
	var wg sync.WaitGroup
	var reads atomic.Int64
	failures := make(chan string, readers)
	for g := 0; g < readers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				n, err := db.Count()
				hits, qerr := db.Query([]float32{1, 0, 0, 0}, batch*batches)
				if err != nil || qerr != nil || n%batch != 0 || n < last || len(hits)%batch != 0 {
					failures <- fmt.Sprintf("count %d (last %d), %d hits: %v %v", n, last, len(hits), err, qerr)
					return
				}
				last = n
				reads.Add(1)
			}
		}()
	}
	for g := 0; g < readers; g++ {
		<-started
	}
	r := rand.New(rand.NewSource(3))
	for b := 0; b < batches; b++ {
		records := make([]Record, batch)
		for i := range records {
			records[i] = record(fmt.Sprintf("b%03d-%d", b, i), randomVector(r, dim), "")
		}
		mustUpsert(t, db, records...)
	}
	close(done)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if n := mustCount(t, db); n != batch*batches {
		t.Fatalf("count %d", n)
	}
	t.Logf("%d reads during %d writes", reads.Load(), batches)
}

// Closing while goroutines query: each call either completes or fails
// with ErrClosed; nothing crashes.
func TestThreadsCloseWhileQuerying(t *testing.T) {
	db := randomDB(t, 200, 8)
	q := make([]float32, 8)
	q[0] = 1
	var wg sync.WaitGroup
	started := make(chan struct{}, 8)
	failures := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			for {
				hits, err := db.Query(q, 5)
				if first {
					started <- struct{}{}
					first = false
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil || len(hits) != 5 {
					failures <- fmt.Sprintf("%d hits: %v", len(hits), err)
					return
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-started
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

// Writers in several goroutines: nvdb serialises them, none is lost.
func TestThreadsConcurrentWriters(t *testing.T) {
	const writers, perWriter, dim = 8, 200, 4
	db := openMemory(t, dim)
	var wg sync.WaitGroup
	failures := make(chan string, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < perWriter; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				if _, err := db.Upsert([]Record{record(id, randomVector(r, dim), "")}); err != nil {
					failures <- err.Error()
					return
				}
				if i%2 == 1 {
					if n, err := db.Delete(id); err != nil || n != 1 {
						failures <- fmt.Sprintf("delete %s: %d %v", id, n, err)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if n := mustCount(t, db); n != writers*perWriter/2 {
		t.Fatalf("count %d, want %d", n, writers*perWriter/2)
	}
}
