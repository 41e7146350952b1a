package nvdb

import (
	"encoding/json"
	"strconv"

	"nvdb.dev/nvdb/internal/swig"
)

// Record is one entry of a database.
type Record struct {
	// ID is 1 to 1,024 bytes of UTF-8 without NUL. An empty ID is refused
	// (ErrID) unless the upsert has the GenerateIDs option.
	ID string
	// Vector has the database's dimension. Under cosine, what Get returns is
	// the normalised vector nvdb stores.
	Vector []float32
	// Metadata is one JSON object, kept exactly as given (key order, number
	// text, Unicode); nil means {}. Get and Query return it compacted.
	Metadata json.RawMessage
}

// Report says which ids an upsert inserted and which it updated (they were
// present), each in input order and listed once.
type Report struct {
	Inserted []string
	Updated  []string
}

type upsertOptions struct{ generateIDs bool }

// UpsertOption configures Upsert.
type UpsertOption func(*upsertOptions)

// GenerateIDs gives each record with an empty ID the id nano-vectordb
// would: the md5 hex digest of its float32 vector's bytes as given.
func GenerateIDs() UpsertOption { return func(o *upsertOptions) { o.generateIDs = true } }

// Upsert inserts new records and replaces existing ones (vector and
// metadata), all or nothing: on any error nothing changes, and the error
// names the failing record ("record I"). Within one batch a repeated id:
// the last record wins and the id is reported once.
func (db *DB) Upsert(records []Record, opts ...UpsertOption) (Report, error) {
	o := upsertOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	var report Report
	err := db.with("upsert", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		batch := swig.Batch_new()
		if batch == nil || batch.Swigcptr() == 0 {
			fail(e, ErrNoMem, "out of memory")
			return
		}
		defer swig.Batch_free(batch)
		for i, r := range records {
			if status, msg := addRecord(batch, i, r, o.generateIDs); status != 0 {
				fail(e, status, msg)
				return
			}
		}
		r := swig.Upsert(h, batch, e)
		if r == nil || r.Swigcptr() == 0 {
			return
		}
		defer swig.Report_free(r)
		report.Inserted = make([]string, swig.Report_inserted_count(r))
		for i := range report.Inserted {
			report.Inserted[i] = swig.Report_inserted_id(r, int64(i))
		}
		report.Updated = make([]string, swig.Report_updated_count(r))
		for i := range report.Updated {
			report.Updated[i] = swig.Report_updated_id(r, int64(i))
		}
	})
	return report, err
}

// addRecord adds record i to the batch, or says why it cannot. Strings
// with NUL are refused here: C would read them cut short.
func addRecord(batch swig.Nvdb_b_batch, i int, r Record, generateIDs bool) (Status, string) {
	where := "record " + strconv.Itoa(i)
	if hasNUL(r.ID) {
		return ErrID, where + ": the id contains a NUL character"
	}
	metadata := "{}"
	if len(r.Metadata) > 0 {
		metadata = string(r.Metadata)
	}
	if hasNUL(metadata) {
		return ErrJSON, where + ": the metadata contains a NUL character"
	}
	hasID := 1
	if r.ID == "" && generateIDs {
		hasID = 0
	}
	if swig.Batch_add_record(batch, hasID, r.ID, r.Vector, metadata) == 0 {
		return ErrNoMem, where + ": out of memory"
	}
	return 0, ""
}

// Get returns the records with these ids, in the order asked; unknown ids
// are skipped and an id asked twice comes back twice. (nano-vectordb
// returns storage order instead.)
func (db *DB) Get(ids ...string) ([]Record, error) {
	var out []Record
	err := db.with("get", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		list, ok := idList(ids, e)
		if !ok {
			return
		}
		defer swig.Ids_free(list)
		recs := swig.Get(h, list, e)
		if recs == nil || recs.Swigcptr() == 0 {
			return
		}
		defer swig.Records_free(recs)
		dim := int(swig.Dim(h))
		out = make([]Record, swig.Records_count(recs))
		for i := range out {
			out[i] = Record{
				ID:       swig.Records_id(recs, int64(i)),
				Vector:   make([]float32, dim),
				Metadata: json.RawMessage(swig.Records_metadata(recs, int64(i))),
			}
			swig.Records_vector(recs, int64(i), out[i].Vector)
		}
	})
	return out, err
}

// Delete removes the records with these ids and returns how many it
// removed; unknown ids are ignored.
func (db *DB) Delete(ids ...string) (int, error) {
	var n int64
	err := db.with("delete", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		list, ok := idList(ids, e)
		if !ok {
			return
		}
		defer swig.Ids_free(list)
		n = swig.Delete(h, list, e)
	})
	return int(n), err
}

// idList builds the C list of ids for get and delete. An id with a NUL
// cannot be stored, so it is unknown: it is left out, as C would otherwise
// read it cut short and find another record.
func idList(ids []string, e swig.Error) (swig.Nvdb_b_ids, bool) {
	list := swig.Ids_new()
	if list == nil || list.Swigcptr() == 0 {
		fail(e, ErrNoMem, "out of memory")
		return nil, false
	}
	for _, id := range ids {
		if hasNUL(id) {
			continue
		}
		if swig.Ids_add(list, id) == 0 {
			swig.Ids_free(list)
			fail(e, ErrNoMem, "out of memory")
			return nil, false
		}
	}
	return list, true
}
