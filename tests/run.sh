#!/usr/bin/env bash
# Installs the build dependencies, builds nvdb (release preset) and runs
# every test with CTest. Usage: bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
ctest --preset release
