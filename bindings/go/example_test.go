package nvdb_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"nvdb.dev/nvdb"
)

func Example() {
	db, err := nvdb.Open(":memory:", nvdb.WithDim(2))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	report, _ := db.Upsert([]nvdb.Record{
		{ID: "east", Vector: []float32{1, 0}, Metadata: json.RawMessage(`{"kind": "a"}`)},
		{ID: "north", Vector: []float32{0, 1}, Metadata: json.RawMessage(`{"kind": "b"}`)},
	})
	fmt.Println("inserted", report.Inserted)
	hits, _ := db.Query([]float32{1, 1}, 10, nvdb.WithFilter(map[string]any{"kind": "b"}))
	for _, h := range hits {
		fmt.Printf("%s %.4f %s\n", h.ID, h.Score, h.Metadata)
	}
	// Output:
	// inserted [east north]
	// north 0.7071 {"kind":"b"}
}

func ExampleDB_Upsert_errors() {
	db, _ := nvdb.Open(":memory:", nvdb.WithDim(2))
	defer db.Close()
	_, err := db.Upsert([]nvdb.Record{{ID: "a", Vector: []float32{1, 2, 3}}})
	fmt.Println(errors.Is(err, nvdb.ErrDim))
	var e *nvdb.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status.Name())
	}
	// Output:
	// true
	// NVDB_EDIM
}

func ExampleDB_Upsert_generatedIDs() {
	db, _ := nvdb.Open(":memory:", nvdb.WithDim(2))
	defer db.Close()
	// Without an id, a record gets the md5 of its vector, as in nano-vectordb.
	report, _ := db.Upsert([]nvdb.Record{{Vector: []float32{1, 2}}}, nvdb.GenerateIDs())
	fmt.Println(len(report.Inserted[0]))
	// Output: 32
}
