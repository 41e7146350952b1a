# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # the variables are shared with the sourcing script
# The consumer programs of an installed nvdb, shared by run_consumers.sh (a
# staged prefix) and test_debs.sh (the Debian packages, installed in /usr).
# Sourced, not run. read_build_tree sets what it reads from the build tree;
# the script that sources this file sets the rest:
#
#   tests       this folder (the consumers' sources)
#   work        a scratch folder, for the consumers' builds and the logs
#   prefix      where nvdb is installed; lib the library folder under it
#   search_prefix  1 if the consumers must be told where nvdb is
#               (CMAKE_PREFIX_PATH, PKG_CONFIG_PATH), 0 if the tools must
#               find it by themselves (a system prefix)
#   consumer_env, installed_env  the environment (NAME=VALUE words) of the
#               consumers' programs and of the installed programs (the nvdb
#               command, the bindings): LD_LIBRARY_PATH where the loader
#               would not find libnvdb.so.0 by itself
#   failed      an array, to which step appends the steps that failed

# read_build_tree SCRIPT DIR: the settings of the build tree DIR: build (its
# absolute path), version (the version expected), libdir, includedir,
# bindir and datadir (the install folders, relative to the prefix). SCRIPT
# names the caller in the error message.
read_build_tree() {
  build=$(cd "$2" && pwd)
  cache=$build/CMakeCache.txt
  if [[ ! -f $cache ]]; then
    echo "$1: $build is not a configured build tree" >&2
    exit 2
  fi
  version=$(cached CMAKE_PROJECT_VERSION)
  libdir=$(cached CMAKE_INSTALL_LIBDIR)
  includedir=$(cached CMAKE_INSTALL_INCLUDEDIR)
  bindir=$(cached CMAKE_INSTALL_BINDIR)
  datadir=$(cached CMAKE_INSTALL_DATADIR)
  datadir=${datadir:-share}
}
cached() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }
# built LANG: whether the build tree built the binding of LANG (JAVA, ...).
built() { [[ $(cached NVDB_BUILD_BINDINGS) == ON && $(cached "NVDB_BUILD_$1") == ON ]]; }

# step NAME COMMAND...: runs COMMAND (a function) with its output in
# $work/NAME.log, and reports it: the last line when it succeeds, the whole
# log when it fails. VERBOSE=1 prints the whole log either way.
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
    if [[ ${VERBOSE:-0} == 1 ]]; then sed 's/^/    /' "$work/$name.log"; fi
  else
    printf '%-17s FAILED (%ds), log:\n' "$name" $((SECONDS - start))
    sed 's/^/    /' "$work/$name.log"
    failed+=("$name")
  fi
}
skip() { printf '%-17s skipped: %s\n' "$1" "$2"; }

expect_file() { [[ -f $1 ]] || { echo "missing: $1"; return 1; }; }
expect_link() { [[ -L $1 && $(readlink "$1") == "$2" ]] || { echo "not a link to $2: $1"; return 1; }; }
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

# What every install holds: the header, libnvdb.so.N with its SONAME and
# links, the command, the CMake package (without nvdb's internal
# libraries), and an nvdb.pc pointing at the prefix.
check_installed_files() {
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
}

# pkg-config and cgo look in PKG_CONFIG_PATH first, then in the system's
# folders.
pkg_config_search() {
  unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
  if [[ $search_prefix == 1 ]]; then
    export PKG_CONFIG_PATH=$lib/pkgconfig
  else
    unset PKG_CONFIG_PATH
  fi
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
  local search=()
  if [[ $search_prefix == 1 ]]; then search=(-DCMAKE_PREFIX_PATH="$prefix"); fi
  cmake -S "$tests/find_package" -B "$work/find_package" -DCMAKE_BUILD_TYPE=Release \
    "${search[@]}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  grep -qx "nvdb_DIR:PATH=$lib/cmake/nvdb" "$work/find_package/CMakeCache.txt"
  cmake --build "$work/find_package"
  # CMake gives the program the RUNPATH it needs: no LD_LIBRARY_PATH.
  "$work/find_package/consumer"
}

pkg_config_consumer() {
  pkg_config_search
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
    GOCACHE=$work/gocache GOPATH=$work/gopath
  pkg_config_search
  go mod edit -replace "nvdb.dev/nvdb=$module"
  go vet .
  go build -o consumer .
  env "${consumer_env[@]}" ./consumer "$version"
}

# The same program in GOPATH mode, Debian's way for Go source packages: the
# installed gocode folder is a GOPATH entry, and no go.mod is involved.
go_gopath_consumer() {
  local gopath=$work/gopath-mode
  mkdir -p "$gopath/src/consumer"
  cp "$tests/go/main.go" "$gopath/src/consumer/"
  cd "$gopath/src/consumer"
  export GO111MODULE=off GOPATH=$gopath:$prefix/$datadir/gocode GOFLAGS='' GOPROXY=off \
    GOTOOLCHAIN=local GOENV=off CGO_ENABLED=1 GOCACHE=$work/gocache
  pkg_config_search
  go vet .
  go build -o consumer .
  env "${consumer_env[@]}" ./consumer "$version"
}

# The consumers that need no nvdb source: the command, find_package,
# pkg-config, dlopen, and the bindings the tree built (built LANG says), Go
# in module and in GOPATH mode.
run_installed_consumers() {
  step cli cli
  step find_package find_package_consumer
  step pkg-config pkg_config_consumer
  step dlopen dlopen_consumer
  if built JAVA; then step java java_consumer; else skip java "the tree has no Java binding"; fi
  if built CSHARP; then step csharp csharp_consumer; else skip csharp "the tree has no C# binding"; fi
  if built GO; then
    step go go_consumer
    step go-gopath go_gopath_consumer
  else
    skip go "the tree has no Go binding"
  fi
}
