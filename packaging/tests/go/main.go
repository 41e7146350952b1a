// Uses the installed Go module as any Go program would: go.mod replaces
// nvdb.dev/nvdb with the installed source, and cgo takes nvdb's flags from
// pkg-config. Usage: consumer EXPECTED_VERSION
package main

import (
	"fmt"
	"os"

	"nvdb.dev/nvdb"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "go:", err)
		os.Exit(1)
	}
}

func run(want string) error {
	if got := nvdb.Version(); got != want {
		return fmt.Errorf("libnvdb is version %s, expected %s", got, want)
	}
	db, err := nvdb.Open(":memory:", nvdb.WithDim(2))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Upsert([]nvdb.Record{
		{ID: "east", Vector: []float32{1, 0}},
		{ID: "north", Vector: []float32{0, 1}},
	}); err != nil {
		return err
	}
	hits, err := db.Query([]float32{0.1, 0.9}, 1)
	if err != nil {
		return err
	}
	if len(hits) != 1 || hits[0].ID != "north" {
		return fmt.Errorf("the query did not find \"north\": %v", hits)
	}
	fmt.Printf("go: nvdb %s ok\n", nvdb.Version())
	return nil
}
