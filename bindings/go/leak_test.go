package nvdb

import (
	"math/rand"
	"testing"
)

// 100,000 queries (with an error, a get and an upsert along the way) keep
// the resident memory flat: every C result is freed, on success and on
// failure.
func TestLeakHundredThousandQueriesKeepMemoryFlat(t *testing.T) {
	const dim = 8
	db := randomDB(t, 300, dim)
	r := rand.New(rand.NewSource(4))
	queries := make([][]float32, 64)
	for i := range queries {
		queries[i] = randomVector(r, dim)
	}
	wrong := make([]float32, dim+1)
	run := func(n int) {
		for i := 0; i < n; i++ {
			q := queries[i%len(queries)]
			var err error
			if i%2 == 0 {
				_, err = db.Query(q, 10, WithThreshold(-0.5), WithFilter(map[string]any{"odd": true}))
			} else {
				_, err = db.Query(q, 5)
			}
			if err != nil {
				t.Fatal(err)
			}
			if i%100 == 0 {
				if _, err := db.Query(wrong, 5); err == nil {
					t.Fatal("a wrong dimension was accepted")
				}
				if _, err := db.Get("r0001", "r0002", "missing"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Upsert([]Record{record("r0003", q, `{"i": 3, "odd": true}`)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	run(20000) // warm-up: caches, the thread pool, Go's heap
	before := rssKiB(t)
	run(100000)
	after := rssKiB(t)
	t.Logf("VmRSS after warm-up %d KiB, after 100,000 queries %d KiB (%+.1f%%)",
		before, after, 100*float64(after-before)/float64(before))
	if float64(after) > 1.10*float64(before) {
		t.Fatalf("resident memory grew from %d KiB to %d KiB", before, after)
	}
}
