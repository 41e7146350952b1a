// A reader process of a shared store: reader LOCATOR reads query vectors
// from stdin (numbers separated by spaces, one query per line) and prints the
// top 3 hits of each as "id=score ..." (used by the multi-language test).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"nvdb.dev/nvdb"
)

func main() {
	db, err := nvdb.Open(os.Args[1], nvdb.ReadOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var q []float32
		for _, f := range strings.Fields(in.Text()) {
			x, err := strconv.ParseFloat(f, 32)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			q = append(q, float32(x))
		}
		hits, err := db.Query(q, 3)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		parts := make([]string, len(hits))
		for i, h := range hits {
			parts[i] = fmt.Sprintf("%s=%.6f", h.ID, h.Score)
		}
		fmt.Println(strings.Join(parts, " "))
	}
}
