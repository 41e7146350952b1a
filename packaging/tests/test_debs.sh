#!/usr/bin/env bash
# Installs the Debian packages of a `deb` build tree (cmake --preset deb &&
# cmake --build --preset deb && cpack --preset deb) on this machine with
# apt-get, so that their dependencies resolve; builds and runs against the
# system install the consumers of consumers.sh (the nvdb command, a
# find_package project, a pkg-config C program, a dlopen of the SONAME by
# name, a Java, a C# and a Go program); then purges the packages, and the
# ones apt-get pulled in for them, and checks that nothing of nvdb stays in
# /usr.
#
# Usage: bash packaging/tests/test_debs.sh [BUILD_DIR]   (default: build/deb)
# Debian 12, as root or through sudo. Refuses to run when an nvdb package
# is installed already (it would remove it). Exits 1 if any step failed; the
# output of apt-get is printed, and each failing step's log. The packages are
# purged even when a step failed.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tests=$source_dir/packaging/tests
# shellcheck source-path=SCRIPTDIR source=consumers.sh
source "$tests/consumers.sh"
read_build_tree test_debs "${1:-$source_dir/build/deb}"
if [[ $(cached CMAKE_INSTALL_PREFIX) != /usr ]]; then
  echo "test_debs: $build was not configured for /usr: use the deb preset" >&2
  exit 2
fi

as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }
apt() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 "$@"
}
installed_packages() {
  dpkg-query -W -f='${db:Status-Status} ${binary:Package}\n' | sed -n 's/^installed //p' | LC_ALL=C sort
}
nvdb_in_usr() { find /usr -ipath '*nvdb*' | LC_ALL=C sort; }

# The packages of nvdbCPack.cmake that this tree builds.
packages=(libnvdb0 libnvdb-dev)
if [[ $(cached NVDB_BUILD_CLI) == ON ]]; then packages+=(nvdb-tools); fi
if built JAVA; then packages+=(libnvdb-java); fi
if built CSHARP; then packages+=(libnvdb-cil); fi
if built GO; then packages+=(golang-nvdb-dev); fi

debs=()
for name in "${packages[@]}"; do
  found=("$build/packages/${name}_${version}-"*.deb)
  if ((${#found[@]} != 1)) || [[ ! -f ${found[0]} ]]; then
    echo "test_debs: expected one ${name}_${version}-*.deb in $build/packages, found: ${found[*]}" >&2
    echo "test_debs: run cpack --preset deb first" >&2
    exit 2
  fi
  debs+=("${found[0]}")
done
present=$(installed_packages | grep -x -F "${packages[@]/#/-e}" | tr '\n' ' ' || true)
if [[ -n $present ]]; then
  echo "test_debs: nvdb packages are installed already, remove them first: $present" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nvdb-debs.XXXXXX")
failed=()
nvdb_in_usr >"$work/usr-before"
purged=0

# apt-get reads local packages as the user _apt: they are copied where it
# may read them. What apt-get would install besides them (a dry run first) is
# written down, to be purged with them: only that, since other people's
# installs may run on this machine meanwhile.
install_packages() {
  local local_debs=() deb
  mkdir "$work/debs"
  chmod a+rx "$work" "$work/debs"
  for deb in "${debs[@]}"; do
    cp "$deb" "$work/debs/"
    local_debs+=("$work/debs/${deb##*/}")
  done
  apt install --no-install-recommends --simulate "${local_debs[@]}" >"$work/simulated"
  sed -n 's/^Inst \([^ ]*\) (.*/\1/p' "$work/simulated" | grep -v -x -F "${packages[@]/#/-e}" \
    >"$work/pulled" || true
  apt install --no-install-recommends "${local_debs[@]}"
  check_installed_files
  ldconfig -p | grep -F "libnvdb.so.${version%%.*} " || { echo "libnvdb is not in ld.so's cache"; return 1; }
  for name in "${packages[@]}"; do
    expect_file "/usr/share/doc/$name/copyright"
    expect_file "/usr/share/doc/$name/changelog.Debian.gz"
  done
  dpkg-query -W -f='${binary:Package} ${Version}, section ${Section}, depends: ${Depends}\n' "${packages[@]}"
  check_control_fields
  dpkg -L "${packages[@]}" | LC_ALL=C sort -u | while read -r path; do
    [[ -z $path || -d $path ]] || echo "  $path"
  done
  local pulled
  pulled=$(tr '\n' ' ' <"$work/pulled")
  echo "installed: ${packages[*]}; with them: ${pulled:-nothing else}"
}

# The control fields that make them Debian packages: the section, the
# maintainer configured, and the dependencies between them, on the exact
# version (lib dependencies come from dpkg-shlibdeps).
declare -A section=([libnvdb0]=libs [libnvdb-dev]=libdevel [nvdb-tools]=database
  [libnvdb-java]=java [libnvdb-cil]=cli-mono [golang-nvdb-dev]=golang)
declare -A depends_on=([libnvdb0]=libc6 [libnvdb-dev]=libnvdb0 [nvdb-tools]=libnvdb0
  [libnvdb-java]=libnvdb0 [libnvdb-cil]="libnvdb0 mono-runtime" [golang-nvdb-dev]=libnvdb-dev)
check_control_fields() {
  local name field debversion dependency
  debversion=$(dpkg-query -W -f='${Version}' libnvdb0)
  [[ $debversion == "$version"-* ]] || { echo "libnvdb0 is version $debversion"; return 1; }
  for name in "${packages[@]}"; do
    field=$(dpkg-query -W -f='${Section} ${Priority} ${Maintainer}' "$name")
    [[ $field == "${section[$name]} optional $(cached NVDB_PACKAGE_MAINTAINER)" ]] ||
      { echo "$name: section, priority, maintainer: $field"; return 1; }
    field=$(dpkg-query -W -f='${Depends}' "$name")
    for dependency in ${depends_on[$name]}; do
      if [[ $dependency == *nvdb* ]]; then dependency="$dependency (= $debversion)"; fi
      [[ ", $field," == *", $dependency"[\ ,]* ]] || { echo "$name does not depend on $dependency: $field"; return 1; }
    done
  done
}

# Purges the packages, then those that apt-get installed for them, and checks
# that dpkg's database, /usr and ld.so's cache are as they were.
purge_packages() {
  local known=() pulled=() left
  mapfile -t known < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${packages[@]}" 2>/dev/null |
    sed -n '/^not-installed /!s/^[^ ]* //p')
  if ((${#known[@]})); then
    apt purge "${known[@]}"
  fi
  if [[ -f $work/pulled ]]; then mapfile -t pulled <"$work/pulled"; fi
  if ((${#pulled[@]})); then
    echo "purging what was installed with them: ${pulled[*]}"
    apt purge "${pulled[@]}"
  fi
  left=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${packages[@]}" "${pulled[@]}" 2>/dev/null |
    grep -v '^not-installed ' || true)
  [[ -z $left ]] || { echo "still known to dpkg: $left"; return 1; }
  nvdb_in_usr >"$work/usr-after"
  diff "$work/usr-before" "$work/usr-after" || { echo "left in /usr: the > lines"; return 1; }
  if ldconfig -p | grep libnvdb; then
    echo "libnvdb is still in ld.so's cache"
    return 1
  fi
  echo "purged: no nvdb package left, nothing of nvdb in /usr or in ld.so's cache"
}

cleanup() {
  if ((!purged)); then
    echo "test_debs: purging the packages after an error"
    purge_packages || echo "test_debs: the purge failed, see above"
  fi
  if ((${#failed[@]} == 0)) && [[ ${KEEP_WORK:-0} != 1 ]]; then
    rm -rf "$work"
  else
    echo "test_debs: the logs are kept in $work"
  fi
}
trap cleanup EXIT

prefix=/usr
lib=$prefix/$libdir
search_prefix=0
installed_env=()
consumer_env=()

echo "test_debs: nvdb $version, ${#packages[@]} packages from $build/packages"
VERBOSE=1 step install install_packages
if ((${#failed[@]} == 0)); then
  run_installed_consumers
fi
VERBOSE=1 step purge purge_packages
purged=1

if ((${#failed[@]})); then
  echo "test_debs: FAILED: ${failed[*]}"
  exit 1
fi
echo "test_debs: the packages installed, every consumer built and ran against them, and they purged cleanly"
