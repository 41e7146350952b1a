module nvdb.dev/consumer

go 1.19

require nvdb.dev/nvdb v0.0.0

// run_consumers.sh points this at the installed module:
// go mod edit -replace nvdb.dev/nvdb=<prefix>/share/gocode/src/nvdb.dev/nvdb
