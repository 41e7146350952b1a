#!/usr/bin/env bash
# The nvdb demo: builds nvdb, takes a database file written by the Python
# nano-vectordb, and uses it through the nvdb CLI and from a C program.
# Usage: bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" >/dev/null

nvdb=build/release/src/cli/nvdb
work=$(mktemp -d)
shm="nvdb-demo-$$"
trap 'rm -rf "$work"; rm -f /dev/shm/nvdb-$shm /dev/shm/nvdb-$shm.*; kill $(jobs -p) 2>/dev/null || true' EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "nvdb $($nvdb --version)"
cp tests/fixtures/a_small.db.json "$work/nano.json"

# A nano-vectordb file is a database nvdb opens directly...
step "$nvdb" info "$work/nano.json"
# ...or copies into another one.
step "$nvdb" import "$work/nano.json" "$work/docs.json"

query='[0.55, 1.83, -0.35, 0.73, -0.99, -0.40, 0.12, 1.84]'
echo; echo "\$ echo '$query' | nvdb query docs.json --top-k 3"
echo "$query" | "$nvdb" query "$work/docs.json" --top-k 3

echo; echo "\$ echo '$query' | nvdb query docs.json --top-k 3 --filter '{\"group\": \"alpha\"}'"
echo "$query" | "$nvdb" query "$work/docs.json" --top-k 3 --filter '{"group": "alpha"}'

step "$nvdb" get "$work/docs.json" doc-018 文档-007-é

echo; echo '$ echo {"id": "new-doc", "vector": [...], "metadata": {...}} | nvdb upsert docs.json'
echo '{"id": "new-doc", "vector": [0.5, 1.8, -0.3, 0.7, -1.0, -0.4, 0.1, 1.8], "metadata": {"text": "added by the demo"}}' \
  | "$nvdb" upsert "$work/docs.json"

# The same file from C: examples/query_file.c.
step build/release/examples/query_file "$work/docs.json" 3 0.55 1.83 -0.35 0.73 -0.99 -0.40 0.12 1.84

step "$nvdb" delete "$work/docs.json" new-doc
step "$nvdb" export "$work/docs.json" "$work/back-to-nano.json"
echo; echo "back-to-nano.json is a file the Python nano-vectordb loads: $(head -c 60 "$work/back-to-nano.json")..."

# One writer, several readers: the same vectors in shared memory, queried in
# place by reader processes written in C, Java, C# and Go while a writer
# commits (bindings/*/examples and bindings/multilang/reader.c).
step "$nvdb" import "$work/nano.json" "shm:$shm"
b=build/release/bindings
declare -A reader=(
  [C]="$b/nvdb_c_reader"
  [Java]="java -cp $b/java/nvdb.jar:$b/java/example-classes Reader"
  [C#]="mono $b/csharp/Reader.exe"
  [Go]="$b/go/nvdb-go-reader")
langs=(C Java C# Go)
declare -A ask answer
for i in "${!langs[@]}"; do
  lang=${langs[$i]}
  mkfifo "$work/ask$i" "$work/answer$i"
  # shellcheck disable=SC2086  # a reader command may hold several words
  ${reader[$lang]} "shm:$shm" <"$work/ask$i" >"$work/answer$i" &
  exec {fd}>"$work/ask$i"; ask[$lang]=$fd
  exec {fd}<"$work/answer$i"; answer[$lang]=$fd
done
ask_all() {  # sends one query to each reader and prints the best hit each finds
  for lang in "${langs[@]}"; do
    echo "$1" >&"${ask[$lang]}"
    read -r line <&"${answer[$lang]}"
    printf '  %-4s reader: %s\n' "$lang" "${line%% *}"
  done
}
near='0.9 -0.1 0.2 0.3 0.1 0.7 -0.5 0.4'
echo; echo "each reader answers [$near]:"; ask_all "$near"
echo "the four reader processes, as the store lists them (and this info command):"
"$nvdb" info "shm:$shm" | grep -o '"readers":.*' 
echo; echo '$ echo {"id": "fresh", "vector": [0.9, -0.1, ...]} | nvdb upsert shm:...   # the writer commits'
echo "{\"id\": \"fresh\", \"vector\": [${near// /, }], \"metadata\": {\"by\": \"writer\"}}" |
  "$nvdb" upsert "shm:$shm"
echo "the same readers, on their next query:"; ask_all "$near"
