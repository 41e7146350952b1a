package nvdb

import (
	"encoding/json"
	"unsafe"

	"nvdb.dev/nvdb/internal/swig"
)

// AdditionalData returns the database's additional data: one JSON object,
// {} until set (nano-vectordb's additional_data).
func (db *DB) AdditionalData() (json.RawMessage, error) {
	var s string
	err := db.with("additional data", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		s = swig.Get_additional_data(h, e)
	})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(s), nil
}

// SetAdditionalData replaces the additional data with data, which must be
// one JSON object (ErrJSON otherwise).
func (db *DB) SetAdditionalData(data json.RawMessage) error {
	return db.with("set additional data", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		if hasNUL(string(data)) {
			fail(e, ErrJSON, "the additional data contains a NUL character")
			return
		}
		swig.Set_additional_data(h, string(data), e)
	})
}

// ImportJSON upserts every record of the nano-vectordb file at path, and
// takes its additional data if it has one; all or nothing. The file's
// embedding_dim must be the database's (ErrMismatch).
func (db *DB) ImportJSON(path string) error {
	return db.withPath("import", path, swig.Import_json)
}

// ExportJSON writes the database as a nano-vectordb file at path,
// atomically, in the layout the Python package writes, so that it loads it
// and answers the same. Only cosine databases can be exported (ErrMismatch).
func (db *DB) ExportJSON(path string) error {
	return db.withPath("export", path, swig.Export_json)
}

// withPath runs one of the calls that take a file path, refusing a path
// C cannot hold.
func (db *DB) withPath(op, path string, fn func(swig.Struct_SS_nvdb_db, string, swig.Error)) error {
	return db.with(op, func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		if hasNUL(path) {
			fail(e, ErrInvalid, "the path contains a NUL character")
			return
		}
		fn(h, path, e)
	})
}

// CopyFrom upserts every record of src into db and copies src's additional
// data; all or nothing. The dimensions must be equal (ErrMismatch).
func (db *DB) CopyFrom(src *DB) error {
	if src == db {
		// Copying a database onto itself changes nothing; taking its lock
		// twice could deadlock behind a Close waiting between the two.
		_, err := db.Count()
		return err
	}
	// Both handles stay open during the copy. Their locks are taken in
	// address order, so two copies in opposite directions cannot deadlock
	// behind pending Closes.
	first, second := db, src
	if src != nil && uintptr(unsafe.Pointer(src)) < uintptr(unsafe.Pointer(db)) {
		first, second = src, db
	}
	var copyErr error
	err := first.with("copy", func(h1 swig.Struct_SS_nvdb_db, _ swig.Error) {
		copyErr = second.with("copy", func(h2 swig.Struct_SS_nvdb_db, e swig.Error) {
			if first == db {
				swig.Copy(h1, h2, e)
			} else {
				swig.Copy(h2, h1, e)
			}
		})
	})
	if err != nil {
		return err
	}
	return copyErr
}

// Verification is what Verify found: whether the database is sound, and
// the library's JSON report ({"sound", "generation", "epoch", "rows",
// "live", ..., "problem_count", "problems": [{"part", "message"}]}; see
// nvdb_verify in nvdb.h).
type Verification struct {
	Sound  bool
	Report json.RawMessage
}

// Verify checks the database's checksums and structure, reading all of it
// once. A damaged database is a result (Sound false, the problems in the
// report), not an error: the error says that the check could not run. Any
// handle may verify, a reader also while the writer commits.
func (db *DB) Verify() (Verification, error) {
	var v Verification
	err := db.with("verify", func(h swig.Struct_SS_nvdb_db, e swig.Error) {
		found := swig.Verify(h, e)
		if found == nil || found.Swigcptr() == 0 {
			return // e holds why
		}
		defer swig.Verification_free(found)
		v.Sound = swig.Verification_sound(found) != 0
		v.Report = json.RawMessage(swig.Verification_report(found))
	})
	return v, err
}

// Compact rewrites the live records into a new generation without the dead
// ones, giving back the space of deleted and replaced records; readers keep
// answering. ErrReadOnly on a reader.
func (db *DB) Compact() error {
	return db.with("compact", func(h swig.Struct_SS_nvdb_db, e swig.Error) { swig.Compact(h, e) })
}
