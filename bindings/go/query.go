package nvdb

import (
	"encoding/json"

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

// Query returns the k records most similar to vector, best first (exact
// search). Equal scores are ordered by id, bytewise, so the order never
// depends on how records are stored. k = 0 returns no hits; the vector must
// have the database's dimension (ErrDim) and be finite, and non-zero under
// cosine (ErrVector).
func (db *DB) Query(vector []float32, k int, opts ...QueryOption) ([]Hit, error) {
	o := queryOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.filterErr != nil {
		return nil, o.filterErr
	}
	if k < 0 {
		return nil, invalid("query", "k is negative")
	}
	var hits []Hit
	err := db.with("query", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		useThreshold := 0
		if o.useThreshold {
			useThreshold = 1
		}
		res := swig.Query(h, vector, uint32Arg(k), useThreshold, o.threshold, o.filter, e)
		if res == nil || res.Swigcptr() == 0 {
			return
		}
		defer swig.Hits_free(res)
		hits = make([]Hit, swig.Hits_count(res))
		for i := range hits {
			hits[i] = Hit{
				ID:       swig.Hits_id(res, int64(i)),
				Score:    swig.Hits_score(res, int64(i)),
				Metadata: json.RawMessage(swig.Hits_metadata(res, int64(i))),
			}
		}
	})
	return hits, err
}
