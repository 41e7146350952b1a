#!/usr/bin/env bash
# One writer, four reader processes in four languages, one shm: store. The
# readers (C, Java, C#, Go) attach at once and stay attached; each answers the
# same query with the same hits as the C reader; after the writer commits,
# each sees the commit on its next query.
# Environment: NVDB_CLI, READER_C, READER_JAVA, READER_CSHARP, READER_GO
# (commands; the Java and C# ones may hold several words).
set -euo pipefail
name="nvdbml-$$"
store="shm:$name"
work=$(mktemp -d)
cleanup() {
  for fd in "${asks[@]:-}"; do [[ -n "$fd" ]] && exec {fd}>&- || true; done
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work" /dev/shm/nvdb-"$name" /dev/shm/nvdb-"$name".*
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# The writer creates the store with four records.
printf '%s\n' \
  '{"id": "north", "vector": [1, 0, 0, 0], "metadata": {"n": 1}}' \
  '{"id": "east", "vector": [0, 1, 0, 0]}' \
  '{"id": "tilted", "vector": [0.8, 0.6, 0, 0]}' \
  '{"id": "up", "vector": [0, 0, 1, 0]}' | "$NVDB_CLI" upsert "$store" >/dev/null

langs=(c java csharp go)
declare -A cmd=([c]="$READER_C" [java]="$READER_JAVA" [csharp]="$READER_CSHARP" [go]="$READER_GO")
declare -A ask answer
asks=()
for lang in "${langs[@]}"; do
  mkfifo "$work/ask-$lang" "$work/answer-$lang"
  # shellcheck disable=SC2086  # the command may hold several words
  ${cmd[$lang]} "$store" <"$work/ask-$lang" >"$work/answer-$lang" 2>"$work/err-$lang" &
  exec {fd}>"$work/ask-$lang"; ask[$lang]=$fd; asks+=("$fd")
  exec {fd}<"$work/answer-$lang"; answer[$lang]=$fd
done

# Sends a query to every reader; every answer must equal the C reader's.
query_all() {
  local reference="" line
  for lang in "${langs[@]}"; do
    echo "$1" >&"${ask[$lang]}"
    read -r -t 60 line <&"${answer[$lang]}" || fail "$lang reader gave no answer: $(cat "$work/err-$lang")"
    echo "  $lang: $line" >&2
    [[ -z "$reference" ]] && reference=$line
    [[ "$line" == "$reference" ]] || fail "$lang answered '$line', C answered '$reference'"
  done
  last=$reference
}

query_all "1 0.1 0 0"
[[ "$last" == north=* ]] || fail "unexpected first answer: $last"
readers=$("$NVDB_CLI" info "$store" | grep -o '"pid"' | wc -l)
((readers >= 4)) || fail "nvdb info lists $readers readers, expected the 4 attached ones"

# The writer commits a record closer to the query than any other.
echo '{"id": "fresh", "vector": [1, 0.1, 0, 0]}' | "$NVDB_CLI" upsert "$store" >/dev/null
query_all "1 0.1 0 0"
[[ "$last" == fresh=1.000000* ]] || fail "the readers did not see the commit: $last"

# And a delete.
"$NVDB_CLI" delete "$store" fresh >/dev/null
query_all "1 0.1 0 0"
[[ "$last" == north=* ]] || fail "the readers did not see the delete: $last"
echo "PASS: C, Java, C# and Go readers agree, before and after each commit"
