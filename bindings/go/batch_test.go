package nvdb

import (
	"errors"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// batchDB holds n random records "r0".."r{n-1}" with metadata {"i": index}.
func batchDB(t *testing.T, dim int, metric Metric, n int, r *rand.Rand) *DB {
	t.Helper()
	db := openMemory(t, dim, WithMetric(metric))
	records := make([]Record, n)
	for i := range records {
		records[i] = record("r"+strconv.Itoa(i), randomVector(r, dim), `{"i":`+strconv.Itoa(i)+`}`)
	}
	mustUpsert(t, db, records...)
	return db
}

func randomQueries(n, dim int, r *rand.Rand) [][]float32 {
	q := make([][]float32, n)
	for i := range q {
		q[i] = randomVector(r, dim)
	}
	return q
}

// requireBatchEqualsSingles checks every answer of QueryBatch against Query.
func requireBatchEqualsSingles(t *testing.T, db *DB, queries [][]float32, k int, opts ...QueryOption) {
	t.Helper()
	answers, err := db.QueryBatch(queries, k, opts...)
	if err != nil {
		t.Fatalf("QueryBatch: %v", err)
	}
	if len(answers) != len(queries) {
		t.Fatalf("%d answers for %d queries", len(answers), len(queries))
	}
	for q, v := range queries {
		single, err := db.Query(v, k, opts...)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		if len(single) != len(answers[q]) {
			t.Fatalf("query %d: %d hits, Query gives %d", q, len(answers[q]), len(single))
		}
		for i, h := range single {
			got := answers[q][i]
			if got.ID != h.ID || math.Abs(float64(got.Score-h.Score)) > 1e-5 || string(got.Metadata) != string(h.Metadata) {
				t.Fatalf("query %d hit %d: %+v, Query gives %+v", q, i, got, h)
			}
		}
	}
}

func TestBatchAnswersAsSingleQueries(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, m := range []Metric{Cosine, Dot, L2} {
		db := batchDB(t, 17, m, 600, r)
		queries := randomQueries(23, 17, r)
		requireBatchEqualsSingles(t, db, queries, 10)
		requireBatchEqualsSingles(t, db, queries, 5, WithFilterJSON(`{"i": {"$lt": 300}}`))
		requireBatchEqualsSingles(t, db, queries[:1], 3)
		requireBatchEqualsSingles(t, db, queries, 50, WithThreshold(0.1))
	}
}

func TestBatchOfNothing(t *testing.T) {
	db := openMemory(t, 3)
	answers, err := db.QueryBatch(nil, 5)
	if err != nil || len(answers) != 0 {
		t.Fatalf("QueryBatch(nil) = %v, %v", answers, err)
	}
}

func TestBatchRejectsBadQueriesNamingThem(t *testing.T) {
	db := openMemory(t, 3)
	mustUpsert(t, db, record("a", []float32{1, 0, 0}, ""))
	nan := float32(math.NaN())
	cases := []struct {
		queries [][]float32
		status  Status
		names   string
	}{
		{[][]float32{{1, 0, 0}, {0, 1, 0}, {0, nan, 1}}, ErrVector, "query 2"},
		{[][]float32{{0, 0, 0}, {1, 0, 0}}, ErrVector, "query 0"},
		{[][]float32{{1, 0, 0}, {1, 0}}, ErrDim, "query 1"},
		{[][]float32{{1, 0, 0}, nil}, ErrDim, "query 1"},
	}
	for _, c := range cases {
		answers, err := db.QueryBatch(c.queries, 1)
		e := requireStatus(t, err, c.status)
		if !strings.Contains(e.Message, c.names) || answers != nil {
			t.Errorf("%v: message %q should name %s; answers %v", c.queries, e.Message, c.names, answers)
		}
	}
	_, err := db.QueryBatch([][]float32{{1, 0, 0}}, -1)
	requireStatus(t, err, ErrInvalid)
	_, err = db.QueryBatch([][]float32{{1, 0, 0}}, 1, WithFilterJSON(`{"$x": 1}`))
	requireStatus(t, err, ErrFilter)
	_ = db.Close()
	if _, err = db.QueryBatch([][]float32{{1, 0, 0}}, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("QueryBatch on a closed database: %v, want ErrClosed", err)
	}
}
