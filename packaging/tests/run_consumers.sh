#!/usr/bin/env bash
# Installs nvdb from an existing build tree into a staged prefix, then builds
# and runs against that prefix alone one consumer of each kind:
#
#   install         the tree: header, libnvdb.so.N and its links, the nvdb
#                   command, the CMake package, nvdb.pc, the bindings
#   cli             the installed nvdb command
#   find_package    a CMake project using find_package(nvdb) (find_package/)
#   add_subdirectory  a CMake project building nvdb's source as its own part
#                   (add_subdirectory/)
#   pkg-config      a C program built with `pkg-config --cflags --libs nvdb`
#   dlopen          a C program that dlopen()s the installed SONAME by name
#   java, csharp, go  a program in each language, built against the installed
#                   jar, assembly and Go module (skipped if the tree did not
#                   build that binding)
#   go-gopath       the Go program in GOPATH mode, the installed gocode
#                   folder on GOPATH
#
# The consumers but add_subdirectory are in consumers.sh, which test_debs.sh
# runs against the Debian packages.
#
# Usage: bash packaging/tests/run_consumers.sh [BUILD_DIR]   (default: build/release)
# Exits 1 if any step failed; each failing step's log is printed. The staged
# prefix and the consumers' builds are removed unless a step failed or
# KEEP_WORK=1.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tests=$source_dir/packaging/tests
# shellcheck source-path=SCRIPTDIR source=consumers.sh
source "$tests/consumers.sh"
read_build_tree run_consumers "${1:-$source_dir/build/release}"

work=$(mktemp -d "${TMPDIR:-/tmp}/nvdb-consumers.XXXXXX")
prefix=$work/prefix
lib=$prefix/$libdir
search_prefix=1
failed=()
cleanup() {
  if ((${#failed[@]} == 0)) && [[ ${KEEP_WORK:-0} != 1 ]]; then
    rm -rf "$work"
  else
    echo "run_consumers: the staged prefix and the logs are kept in $work"
  fi
}
trap cleanup EXIT

# The installed programs (the command, the bindings' native libraries) carry
# an $ORIGIN RUNPATH when the tree was configured for a prefix the loader
# does not search; then they must run as they lie. Configured for /usr, they
# have none, and here they need LD_LIBRARY_PATH as consumers do.
installed_env=()
consumer_env=(LD_LIBRARY_PATH="$lib")

install_tree() {
  cmake --install "$build" --prefix "$prefix"
  check_installed_files
  if find "$prefix" -name '*.a' | grep .; then
    echo "static archives installed"
    return 1
  fi
  (cd "$prefix" && find . \( -type f -o -type l \) | LC_ALL=C sort | sed 's|^\./|  |')
  echo "$(find "$prefix" \( -type f -o -type l \) | wc -l) files installed in $prefix"
}

add_subdirectory_consumer() {
  # Debug (no optimisation) builds nvdb's sources fastest; this checks how
  # they are wired into another project, not how they run.
  cmake -S "$tests/add_subdirectory" -B "$work/add_subdirectory" -DCMAKE_BUILD_TYPE=Debug \
    -DNVDB_SOURCE_DIR="$source_dir"
  cmake --build "$work/add_subdirectory" -j "${JOBS:-2}"
  "$work/add_subdirectory/consumer"
}

echo "run_consumers: nvdb $version from $build, staged in $prefix"
step install install_tree
if ((${#failed[@]})); then
  exit 1
fi
if readelf -d "$prefix/$bindir/nvdb" | grep -q RUNPATH; then
  echo "(the installed programs have a RUNPATH: they run without LD_LIBRARY_PATH)"
else
  installed_env=("${consumer_env[@]}")
fi
run_installed_consumers
step add_subdirectory add_subdirectory_consumer

if ((${#failed[@]})); then
  echo "run_consumers: FAILED: ${failed[*]}"
  exit 1
fi
echo "run_consumers: every consumer built and ran against the staged install"
