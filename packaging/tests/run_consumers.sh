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
#
# Usage: bash packaging/tests/run_consumers.sh [BUILD_DIR]   (default: build/release)
# Exits 1 if any step failed; each failing step's log is printed. The staged
# prefix and the consumers' builds are removed unless a step failed or
# KEEP_WORK=1.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tests=$source_dir/packaging/tests
build=$(cd "${1:-$source_dir/build/release}" && pwd)
cache=$build/CMakeCache.txt
if [[ ! -f $cache ]]; then
  echo "run_consumers: $build is not a configured build tree" >&2
  exit 2
fi
cached() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }

version=$(cached CMAKE_PROJECT_VERSION)
libdir=$(cached CMAKE_INSTALL_LIBDIR)
includedir=$(cached CMAKE_INSTALL_INCLUDEDIR)
bindir=$(cached CMAKE_INSTALL_BINDIR)
datadir=$(cached CMAKE_INSTALL_DATADIR)
datadir=${datadir:-share}
built() { [[ $(cached NVDB_BUILD_BINDINGS) == ON && $(cached "NVDB_BUILD_$1") == ON ]]; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nvdb-consumers.XXXXXX")
prefix=$work/prefix
lib=$prefix/$libdir
failed=()
cleanup() {
  if ((${#failed[@]} == 0)) && [[ ${KEEP_WORK:-0} != 1 ]]; then
    rm -rf "$work"
  else
    echo "run_consumers: the staged prefix and the logs are kept in $work"
  fi
}
trap cleanup EXIT

# step NAME COMMAND...: runs COMMAND (a function below) with its output in
# $work/NAME.log, and reports it.
step() {
  local name=$1 start=$SECONDS
  shift
  set +e
  (
    set -e
    "$@"
  ) >"$work/$name.log" 2>&1
  local status=$?
  set -e
  if ((status == 0)); then
    printf '%-17s ok (%ds)  %s\n' "$name" $((SECONDS - start)) "$(tail -n 1 "$work/$name.log")"
  else
    printf '%-17s FAILED (%ds), log:\n' "$name" $((SECONDS - start))
    sed 's/^/    /' "$work/$name.log"
    failed+=("$name")
  fi
}
skip() { printf '%-17s skipped: %s\n' "$1" "$2"; }

expect_file() { [[ -f $1 ]] || { echo "missing: ${1#"$prefix"/}"; return 1; }; }
expect_link() { [[ -L $1 && $(readlink "$1") == "$2" ]] || { echo "not a link to $2: ${1#"$prefix"/}"; return 1; }; }
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

# The installed programs (the command, the bindings' native libraries) carry
# an $ORIGIN RUNPATH when the tree was configured for a prefix the loader
# does not search; then they must run as they lie. Configured for /usr, they
# have none, and here they need LD_LIBRARY_PATH as consumers do.
installed_env=()
consumer_env=(LD_LIBRARY_PATH="$lib")

install_tree() {
  cmake --install "$build" --prefix "$prefix"
  local real=libnvdb.so.$version major=libnvdb.so.${version%%.*}
  expect_file "$prefix/$includedir/nvdb.h"
  expect_file "$lib/$real"
  expect_link "$lib/$major" "$real"
  expect_link "$lib/libnvdb.so" "$major"
  [[ $(soname "$lib/$real") == "$major" ]] || { echo "SONAME of $real: $(soname "$lib/$real")"; return 1; }
  expect_file "$prefix/$bindir/nvdb"
  local cmakedir=$lib/cmake/nvdb
  for f in nvdbConfig.cmake nvdbConfigVersion.cmake nvdbTargets.cmake; do expect_file "$cmakedir/$f"; done
  if grep -l 'nvdb_core\|nvdb_json' "$cmakedir"/*.cmake; then
    echo "the CMake package names nvdb's internal libraries"
    return 1
  fi
  expect_file "$lib/pkgconfig/nvdb.pc"
  grep -qx "prefix=$prefix" "$lib/pkgconfig/nvdb.pc" || { echo "nvdb.pc:"; cat "$lib/pkgconfig/nvdb.pc"; return 1; }
  if find "$prefix" -name '*.a' | grep .; then
    echo "static archives installed"
    return 1
  fi
  (cd "$prefix" && find . \( -type f -o -type l \) | LC_ALL=C sort | sed 's|^\./|  |')
  echo "$(find "$prefix" \( -type f -o -type l \) | wc -l) files installed in $prefix"
}

cli() {
  local out
  out=$(env "${installed_env[@]}" "$prefix/$bindir/nvdb" --version)
  echo "$out"
  [[ $out == *"$version"* ]]
  printf '%s\n' '{"id": "a", "vector": [1, 0]}' '{"id": "b", "vector": [0, 1]}' |
    env "${installed_env[@]}" "$prefix/$bindir/nvdb" upsert "$work/cli.json"
  echo '[0.1, 0.9]' | env "${installed_env[@]}" "$prefix/$bindir/nvdb" query --top-k 1 "$work/cli.json" |
    tee "$work/cli.out"
  grep -q '"id": *"b"' "$work/cli.out"
  echo "nvdb command: upsert and query ok"
}

find_package_consumer() {
  cmake -S "$tests/find_package" -B "$work/find_package" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  grep -qx "nvdb_DIR:PATH=$lib/cmake/nvdb" "$work/find_package/CMakeCache.txt"
  cmake --build "$work/find_package"
  "$work/find_package/consumer"
}

add_subdirectory_consumer() {
  # Debug (no optimisation) builds nvdb's sources fastest; this checks how
  # they are wired into another project, not how they run.
  cmake -S "$tests/add_subdirectory" -B "$work/add_subdirectory" -DCMAKE_BUILD_TYPE=Debug \
    -DNVDB_SOURCE_DIR="$source_dir"
  cmake --build "$work/add_subdirectory" -j "${JOBS:-2}"
  "$work/add_subdirectory/consumer"
}

pkg_config_consumer() {
  export PKG_CONFIG_PATH=$lib/pkgconfig
  unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
  [[ $(pkg-config --modversion nvdb) == "$version" ]]
  echo "cflags: $(pkg-config --cflags nvdb)  libs: $(pkg-config --libs nvdb)"
  # shellcheck disable=SC2046 # pkg-config's output is a list of words
  cc -std=c99 -Wall -Wextra -pedantic -Werror -DCONSUMER='"pkg-config"' "$tests/consumer.c" \
    $(pkg-config --cflags --libs nvdb) -o "$work/pkg-config-consumer"
  env "${consumer_env[@]}" "$work/pkg-config-consumer"
}

dlopen_consumer() {
  local name
  name=$(soname "$lib/libnvdb.so.$version")
  cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$prefix/$includedir" "$tests/dlopen.c" -ldl \
    -o "$work/dlopen-consumer"
  if readelf -d "$work/dlopen-consumer" | grep NEEDED | grep -q nvdb; then
    echo "the dlopen consumer links libnvdb"
    return 1
  fi
  env "${consumer_env[@]}" "$work/dlopen-consumer" "$name" "$version"
}

java_consumer() {
  local jar=$prefix/$datadir/java/nvdb.jar
  expect_file "$jar"
  javac --release 17 -Xlint:all -Werror -cp "$jar" -d "$work/java" "$tests/java/Consumer.java"
  # java.library.path leads nowhere: the jar must find its library by itself.
  env "${installed_env[@]}" java -Xcheck:jni -Djava.library.path=/nonexistent \
    -cp "$jar:$work/java" Consumer "$version"
}

csharp_consumer() {
  local dir=$prefix/lib/cli/nvdb
  expect_file "$dir/Nvdb.dll"
  expect_file "$dir/libnvdb_csharp.so"
  mkdir -p "$work/csharp"
  mcs -nologo -warnaserror+ -r:"$dir/Nvdb.dll" -out:"$work/csharp/Consumer.exe" "$tests/csharp/Consumer.cs"
  env "${installed_env[@]}" MONO_PATH="$dir" mono "$work/csharp/Consumer.exe" "$version"
}

go_consumer() {
  local module=$prefix/$datadir/gocode/src/nvdb.dev/nvdb
  expect_file "$module/go.mod"
  expect_file "$module/internal/swig/cgo.go"
  cp -r "$tests/go" "$work/go"
  cd "$work/go"
  # Offline, with caches of its own: what CI allows.
  export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off GO111MODULE=on CGO_ENABLED=1 \
    GOCACHE=$work/gocache GOPATH=$work/gopath PKG_CONFIG_PATH=$lib/pkgconfig
  go mod edit -replace "nvdb.dev/nvdb=$module"
  go vet .
  go build -o consumer .
  env "${consumer_env[@]}" ./consumer "$version"
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
step cli cli
step find_package find_package_consumer
step add_subdirectory add_subdirectory_consumer
step pkg-config pkg_config_consumer
step dlopen dlopen_consumer
if built JAVA; then step java java_consumer; else skip java "the tree has no Java binding"; fi
if built CSHARP; then step csharp csharp_consumer; else skip csharp "the tree has no C# binding"; fi
if built GO; then step go go_consumer; else skip go "the tree has no Go binding"; fi

if ((${#failed[@]})); then
  echo "run_consumers: FAILED: ${failed[*]}"
  exit 1
fi
echo "run_consumers: every consumer built and ran against the staged install"
