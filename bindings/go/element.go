package nvdb

import (
	"fmt"

	"nvdb.dev/nvdb/internal/swig"
)

// ElementType says what stored vectors are kept as for the scan, chosen
// when a database is created. Every record keeps its float32 vector too:
// Get, ExportJSON and every score are exact float32 values, and only which
// candidates a query re-scores exactly is approximate. Memory per vector
// element: Float32 4 bytes; Float16 and BFloat16 6 (2 scanned); Int8 5 (1
// scanned); each compact type adds 8 bytes per record. ".json" files are
// Float32 only.
type ElementType int

const (
	// ElementDefault is Float32 when creating, the database's own when opening.
	ElementDefault ElementType = 0
	// Float32: the scan reads the float32 vectors.
	Float32 ElementType = 1
	// Float16: IEEE binary16, scaled per vector.
	Float16 ElementType = 2
	// BFloat16: bfloat16, scaled per vector.
	BFloat16 ElementType = 3
	// Int8: 8-bit integers with a per-vector scale.
	Int8 ElementType = 4
)

var elementNames = map[ElementType]string{
	ElementDefault: "default", Float32: "float32", Float16: "float16", BFloat16: "bfloat16", Int8: "int8",
}

func (t ElementType) String() string {
	if name, ok := elementNames[t]; ok {
		return name
	}
	return fmt.Sprintf("ElementType(%d)", int(t))
}

// WithElementType sets the element type of a new database, or checks an
// existing one's (ErrMismatch if it differs); ElementDefault accepts any.
func WithElementType(t ElementType) Option { return func(o *openOptions) { o.elementType = t } }

// ElementType is what the database's scan reads (ElementDefault once closed).
func (db *DB) ElementType() ElementType {
	t := ElementDefault
	_ = db.with("element type", func(h swig.Struct_SS_nvdb_db, _ swig.Error) { t = ElementType(swig.Element_type(h)) })
	return t
}
