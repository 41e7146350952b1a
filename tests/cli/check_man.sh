#!/usr/bin/env bash
# The man page renders without a warning and describes exactly the
# subcommands `nvdb --help` lists, with every option each one's --help
# lists, so that the two cannot drift apart.
#   check_man.sh NVDB_BINARY NVDB_1
set -euo pipefail
nvdb=$1
page=$2

warnings=$(groff -man -ww -z "$page" 2>&1)
if [[ -n $warnings ]]; then
  echo "groff warns about $page:"
  echo "$warnings"
  exit 1
fi

subcommands=$("$nvdb" --help | sed -n '/^Subcommands:/,/^$/p' | awk '/^  [a-z]/ {print $1}')
if [[ -z $subcommands ]]; then
  echo "no subcommands found in nvdb --help"
  exit 1
fi
described=$(sed -n 's/^\.SS "\([a-z]*\).*/\1/p' "$page")

status=0
for sub in $subcommands; do
  if ! grep -qx "$sub" <<<"$described"; then
    echo "nvdb.1 has no section (.SS) for the subcommand $sub"
    status=1
    continue
  fi
  for option in $("$nvdb" "$sub" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    [[ $option == --help ]] && continue
    if ! grep -qF -- "${option//-/\\-}" "$page"; then
      echo "nvdb.1 does not mention $option of nvdb $sub"
      status=1
    fi
  done
done
for sub in $described; do
  if ! grep -qx "$sub" <<<"$subcommands"; then
    echo "nvdb.1 describes $sub, which nvdb --help does not list"
    status=1
  fi
done
version=$("$nvdb" --version)
if ! grep -q "^\.TH NVDB 1 .* \"nvdb $version\"" "$page"; then
  echo "nvdb.1's title line does not name version $version"
  status=1
fi
if ! grep -q '^\.SH EXIT STATUS' "$page"; then
  echo "nvdb.1 has no EXIT STATUS section"
  status=1
fi
exit $status
