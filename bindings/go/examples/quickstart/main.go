// Quickstart: create a database in memory, add records, query them with a
// threshold and a metadata filter, then read one back.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"nvdb.dev/nvdb"
)

func main() {
	db, err := nvdb.Open(":memory:", nvdb.WithDim(3))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	report, err := db.Upsert([]nvdb.Record{
		{ID: "jazz-1", Vector: []float32{1, 0, 0}, Metadata: json.RawMessage(`{"genre": "jazz", "year": 1959}`)},
		{ID: "jazz-2", Vector: []float32{0.9, 0.1, 0}, Metadata: json.RawMessage(`{"genre": "jazz", "year": 2004}`)},
		{ID: "rock-1", Vector: []float32{0, 1, 0}, Metadata: json.RawMessage(`{"genre": "rock", "year": 1971}`)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inserted:", report.Inserted)

	hits, err := db.Query([]float32{1, 0.2, 0}, 10,
		nvdb.WithThreshold(0.5),
		nvdb.WithFilter(map[string]any{"year": map[string]any{"$gte": 2000}}))
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Printf("%s %.3f %s\n", h.ID, h.Score, h.Metadata)
	}

	records, err := db.Get("rock-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("got:", records[0].ID, string(records[0].Metadata))

	// Errors carry nvdb's status code and message.
	_, err = db.Query([]float32{1, 0}, 10)
	fmt.Println("wrong dimension is ErrDim:", errors.Is(err, nvdb.ErrDim))
	fmt.Println(err)
}
