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
trap 'rm -rf "$work"' EXIT
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
