module nvdb.dev/nvdb

go 1.19
