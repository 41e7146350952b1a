package nvdb

import (
	"encoding/json"
	"fmt"

	"nvdb.dev/nvdb/internal/swig"
)

// Hit is one answer of a query.
type Hit struct {
	ID    string
	Score float32 // cosine similarity, inner product, or minus the L2 distance
	// Metadata is the record's JSON object, compacted.
	Metadata json.RawMessage
}

type queryOptions struct {
	useThreshold bool
	threshold    float32
	filter       string
	filterErr    error
}

// QueryOption configures Query.
type QueryOption func(*queryOptions)

// WithThreshold keeps only hits scoring at least threshold.
func WithThreshold(threshold float32) QueryOption {
	return func(o *queryOptions) {
		o.useThreshold = true
		o.threshold = threshold
	}
}

// WithFilter keeps only records whose metadata matches where, a declarative
// filter in the style of MongoDB, e.g.
//
//	nvdb.WithFilter(map[string]any{"genre": "jazz", "year": map[string]any{"$gte": 2000}})
//
// A top-level object ANDs its fields; a field maps to a value (equality) or
// to operators: $eq $ne $gt $gte $lt $lte $in $nin $exists; $and, $or and
// $not combine filters; "a.b" reaches into nested objects. A nil map is no
// filter.
func WithFilter(where map[string]any) QueryOption {
	return func(o *queryOptions) {
		if where == nil {
			o.filter = ""
			return
		}
		text, err := json.Marshal(where)
		if err != nil {
			o.filterErr = &Error{Op: "query", Status: ErrFilter, Message: "the filter: " + err.Error()}
			return
		}
		o.filter = string(text)
	}
}

// WithFilterJSON is WithFilter with the filter given as JSON text.
func WithFilterJSON(where string) QueryOption {
	return func(o *queryOptions) {
		o.filter = where
		if where == "" {
			// The C layer reads "" as "no filter"; an empty text is no
			// JSON object, so it is refused as nvdb refuses any such filter.
			o.filterErr = &Error{Op: "query", Status: ErrFilter, Message: "the filter is empty"}
		} else if hasNUL(where) {
			o.filterErr = &Error{Op: "query", Status: ErrFilter, Message: "the filter contains a NUL character"}
		}
	}
}

// options applies opts, returning the first filter error they met.
func options(opts []QueryOption) (queryOptions, error) {
	o := queryOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	return o, o.filterErr
}

func (o queryOptions) thresholdFlag() int {
	if o.useThreshold {
		return 1
	}
	return 0
}

// readHits copies the hits of a C result, which the caller frees.
func readHits(res swig.Struct_SS_nvdb_hits) []Hit {
	hits := make([]Hit, swig.Hits_count(res))
	for i := range hits {
		hits[i] = Hit{
			ID:       swig.Hits_id(res, int64(i)),
			Score:    swig.Hits_score(res, int64(i)),
			Metadata: json.RawMessage(swig.Hits_metadata(res, int64(i))),
		}
	}
	return hits
}

// Query returns the k records most similar to vector, best first (exact
// search). Equal scores are ordered by id, bytewise, so the order never
// depends on how records are stored. k = 0 returns no hits; the vector must
// have the database's dimension (ErrDim) and be finite, and non-zero under
// cosine (ErrVector).
func (db *DB) Query(vector []float32, k int, opts ...QueryOption) ([]Hit, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, invalid("query", "k is negative")
	}
	var hits []Hit
	err = db.with("query", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		res := swig.Query(h, vector, uint32Arg(k), o.thresholdFlag(), o.threshold, o.filter, e)
		if res == nil || res.Swigcptr() == 0 {
			return
		}
		defer swig.Hits_free(res)
		hits = readHits(res)
	})
	return hits, err
}

// QueryBatch answers many queries in one call: element i is what Query
// returns for vectors[i] with the same k and options (the same hits in the
// same order), all from one commit. nvdb scores them together as a matrix
// product, far faster than one Query per vector when there are more than a
// few. Every vector is checked before any work; a bad one is named in the
// error ("query 3: ..."). The vectors are copied into one slice for the call.
func (db *DB) QueryBatch(vectors [][]float32, k int, opts ...QueryOption) ([][]Hit, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, invalid("query batch", "k is negative")
	}
	dim := db.Dim()
	if dim == 0 { // only a closed database has none
		return nil, closedError("query batch")
	}
	rows := make([]float32, 0, len(vectors)*dim)
	for i, v := range vectors {
		if len(v) != dim {
			return nil, &Error{Op: "query batch", Status: ErrDim,
				Message: fmt.Sprintf("query %d has %d components, the database has dim %d", i, len(v), dim)}
		}
		rows = append(rows, v...)
	}
	var answers [][]Hit
	err = db.with("query batch", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		res := swig.Query_batch(h, rows, int64(len(vectors)), uint32Arg(k), o.thresholdFlag(), o.threshold, o.filter, e)
		if res == nil || res.Swigcptr() == 0 {
			return
		}
		defer swig.Answers_free(res)
		answers = make([][]Hit, swig.Answers_count(res))
		for i := range answers {
			hits := swig.Answers_take(res, int64(i))
			answers[i] = readHits(hits)
			swig.Hits_free(hits)
		}
	})
	return answers, err
}
