#!/usr/bin/env bash
# Installs what building and testing nvdb needs on Debian 12, from Debian's
# own packages. Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
  g++ cmake make pkg-config binutils
  libboost1.81-dev libboost-test1.81-dev libboost-json1.81-dev
  libssl-dev libxxhash-dev libcli11-dev
  # groff: the test that nvdb.1 renders without warnings.
  groff-base
  # The bindings: SWIG, then Java (JDK, JUnit 5, Gson for the tests), C#
  # (mono, NUnit 2.6, System.Json for the tests) and Go.
  swig default-jdk-headless junit5 libgoogle-gson-java
  mono-mcs nunit-console libnunit-cil-dev libmono-system-json4.0-cil
  golang-go
  # The Debian packages: CPack finds their libraries' dependencies with
  # `file` and dpkg-shlibdeps (dpkg-dev).
  file dpkg-dev
)
# The benchmark's references (bench/nvdb_bench.cpp): OpenBLAS's sgemm and
# faiss. The library itself links neither.
packages+=(libopenblas-dev libfaiss-dev)
# Extra tools: clang for the libFuzzer targets.
if [[ "${1:-}" == "--with-fuzzers" ]]; then
  packages+=(clang)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
