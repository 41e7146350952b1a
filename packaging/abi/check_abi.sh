#!/usr/bin/env bash
# The ABI guard of libnvdb (packaging/abi/README.md).
#
#   check_abi.sh symbols LIBNVDB.SO   the library exports exactly libnvdb.symbols
#   check_abi.sh header NVDB.H        the header declares exactly nvdb.h.api, and
#                                     its functions are those of libnvdb.symbols
#   check_abi.sh update LIBNVDB.SO NVDB.H
#                                     rewrites both lists from a build (after a
#                                     deliberate, reviewed change)
#
# Exits 1 on a difference, saying what was removed or changed (an ABI break:
# the SONAME must change) and what was added (allowed: add it to the list).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
symbols_list=$here/libnvdb.symbols
api_list=$here/nvdb.h.api
NM=${NM:-nm}
PERL=${PERL:-perl}

usage() {
  sed -n '4,10s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# The dynamic symbols libnvdb defines, without their version (nvdb_open@@NVDB_0)
# and without the version nodes themselves (absolute symbols, type A).
exported_symbols() {
  "$NM" -D --defined-only "$1" | awk '$(NF-1) != "A" { sub(/@.*/, "", $NF); print $NF }' |
    LC_ALL=C sort -u
}

# The header's API, one declaration per line in the header's order: the
# NVDB_API prototypes, the typedefs (struct layouts, enum values, the callback
# type) and the NVDB_* constants and macros, but not the release numbers
# (NVDB_VERSION_MAJOR/MINOR/PATCH/STRING), which change with every release.
# Comments are dropped and white space normalised, so only a change of
# meaning shows.
header_api() {
  # shellcheck disable=SC2016 # Perl's own variables
  "$PERL" -0777 -ne '
    s{/\*.*?\*/}{ }gs;
    s{//[^\n]*}{}g;
    s{\\\n}{ }g;
    sub tidy {
      my ($s) = @_;
      $s =~ s/\s+/ /g;
      $s =~ s/\s*(\*+)\s*/ $1/g;
      $s =~ s/\s*\(\s*/(/g;
      $s =~ s/\s*\)/)/g;
      $s =~ s/\s*,\s*/, /g;
      $s =~ s/\s*;/;/g;
      $s =~ s/\s*\{\s*/ { /g;
      $s =~ s/\s*\}\s*/ } /g;
      $s =~ s/^ | $//g;
      return $s;
    }
    while (/^[ \t]*#[ \t]*define[ \t]+(NVDB_\w+)([^\n]*)|(\btypedef\b[^;{]*(?:\{[^}]*\})?[^;]*;)|(\bNVDB_API\b[^;]*;)/mg) {
      if (defined $1) {
        next if $1 =~ /^(NVDB_H|NVDB_API|NVDB_VERSION_(MAJOR|MINOR|PATCH|STRING))$/;
        (my $d = "#define $1$2") =~ s/\s+/ /g;
        $d =~ s/ $//;
        print "$d\n";
      } else {
        print tidy(defined $3 ? $3 : $4), "\n";
      }
    }' "$1"
}

# The function names the header declares.
declared_functions() {
  header_api "$1" | sed -n 's/^NVDB_API .*[ *]\(nvdb_[A-Za-z0-9_]*\)(.*/\1/p' | LC_ALL=C sort -u
}

listed_symbols() {
  grep -v '^[[:space:]]*\(#\|$\)' "$symbols_list" | LC_ALL=C sort -u
}

# compare WHAT EXPECTED_FILE ACTUAL_FILE LIST_NAME: reports and fails on a difference.
compare() {
  local what=$1 expected=$2 actual=$3 list=$4
  if cmp -s "$expected" "$actual"; then
    echo "abi: $what: $(wc -l <"$actual") entries, as in $list"
    return 0
  fi
  local removed added line
  removed=$(LC_ALL=C comm -23 <(LC_ALL=C sort "$expected") <(LC_ALL=C sort "$actual"))
  added=$(LC_ALL=C comm -13 <(LC_ALL=C sort "$expected") <(LC_ALL=C sort "$actual"))
  echo "abi: $what differs from $list" >&2
  if [[ -n $removed ]]; then
    echo "abi: removed or changed (an ABI break: the SONAME must change):" >&2
    while IFS= read -r line; do echo "  - $line"; done <<<"$removed" >&2
  fi
  if [[ -n $added ]]; then
    echo "abi: added or changed (additions are allowed; add them to $list):" >&2
    while IFS= read -r line; do echo "  + $line"; done <<<"$added" >&2
  fi
  if [[ -z $removed && -z $added ]]; then
    echo "abi: the same entries in another order:" >&2
    diff -u "$expected" "$actual" >&2 || true
  fi
  echo "abi: after a deliberate change: bash packaging/abi/check_abi.sh update LIBNVDB.SO include/nvdb.h" >&2
  return 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "${1:-}" in
  symbols)
    [[ $# -eq 2 ]] || usage
    listed_symbols >"$tmp/expected"
    exported_symbols "$2" >"$tmp/actual"
    compare "symbols exported by $(basename "$2")" "$tmp/expected" "$tmp/actual" \
      packaging/abi/libnvdb.symbols
    ;;
  header)
    [[ $# -eq 2 ]] || usage
    header_api "$2" >"$tmp/actual"
    status=0
    compare "API declared by $(basename "$2")" "$api_list" "$tmp/actual" \
      packaging/abi/nvdb.h.api || status=1
    listed_symbols >"$tmp/listed"
    declared_functions "$2" >"$tmp/declared"
    compare "functions declared by $(basename "$2")" "$tmp/listed" "$tmp/declared" \
      packaging/abi/libnvdb.symbols || status=1
    exit $status
    ;;
  update)
    [[ $# -eq 3 ]] || usage
    {
      echo "# The dynamic symbols libnvdb.so.0 exports, one per line (packaging/abi/README.md)."
      exported_symbols "$2"
    } >"$symbols_list"
    header_api "$3" >"$api_list"
    echo "abi: rewrote $symbols_list ($(listed_symbols | wc -l) symbols) and $api_list ($(wc -l <"$api_list") declarations)"
    ;;
  *)
    usage
    ;;
esac
