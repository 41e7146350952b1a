# Debian packages of nvdb, one per install component (docs/install.md):
#
#   component  package          holds
#   runtime    libnvdb0         libnvdb.so.0 (and .so.0.1.0)
#   dev        libnvdb-dev      nvdb.h, libnvdb.so, the CMake package, nvdb.pc
#   tools      nvdb-tools       the nvdb command
#   java       libnvdb-java     nvdb.jar and its JNI library
#   csharp     libnvdb-cil      Nvdb.dll and its native library
#   go         golang-nvdb-dev  the Go module's source
#
# Build them from a tree configured for /usr (the `deb` preset):
#   cmake --preset deb && cmake --build --preset deb && cpack --preset deb
# Included from the top-level CMakeLists.txt only, after every install rule.

set(CPACK_PACKAGE_NAME nvdb)
set(CPACK_PACKAGE_VENDOR "nvdb")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)

# The packages install under /usr, where the tree was configured to go: the
# CMake and pkg-config files and the Java layout are derived from that prefix.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_NVDB_CONFIGURED_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/nvdbCPackProject.cmake)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # name_version-release_arch.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Whoever builds packages to hand out sets their own name and address here;
# it also signs the entries of changelog.Debian. The default is a placeholder
# in the reserved .invalid domain (RFC 2606), which no mail can reach: not
# localhost, which lintian refuses as a mail host.
set(NVDB_PACKAGE_MAINTAINER "nvdb maintainers <maintainers@nvdb.invalid>" CACHE STRING
  "Maintainer field of the Debian packages: \"Name <address>\"")
if(NOT NVDB_PACKAGE_MAINTAINER MATCHES "^[^<>]+ <[^<> ]+@[^<> ]+>$")
  message(FATAL_ERROR "NVDB_PACKAGE_MAINTAINER must read \"Name <address>\", "
    "not \"${NVDB_PACKAGE_MAINTAINER}\"")
endif()
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${NVDB_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Library dependencies come from dpkg-shlibdeps. It meets libnvdb.so.0 (which
# the other packages link) in the build tree, with no package to name; the
# dependency on libnvdb0 is the inter-component one below, of the exact version.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
get_target_property(nvdb_binary_dir nvdb BINARY_DIR)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${nvdb_binary_dir})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

# libnvdb0 declares, in its shlibs file, the dependency that packages linking
# libnvdb.so.0 take: this version or newer (CPack's own GENERATE_SHLIBS would
# also list the bindings' unversioned native libraries). Its triggers file
# has dpkg run ldconfig, as Debian requires of a library in /usr/lib; CPack
# also calls ldconfig from postinst and postrm, which it offers no way to
# turn off (lintian's warning maintscript-calls-ldconfig; running it twice is
# harmless).
set(nvdb_shlibs ${PROJECT_BINARY_DIR}/packaging/libnvdb0/shlibs)
file(CONFIGURE OUTPUT ${nvdb_shlibs}
  CONTENT "libnvdb ${PROJECT_VERSION_MAJOR} libnvdb0 (>= ${PROJECT_VERSION})\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${nvdb_shlibs} ${CMAKE_CURRENT_LIST_DIR}/debian/triggers)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "vector database with a C API - shared library
nvdb stores records (an id, a float32 vector and a JSON metadata object) and
answers exact nearest-neighbour queries over them, with the semantics and the
file format of the Python nano-vectordb, behind a stable C API.
.
This package holds the shared library, libnvdb.so.0.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libnvdb0)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_COMPONENT_DEV_DESCRIPTION "vector database with a C API - development files
nvdb stores records (an id, a float32 vector and a JSON metadata object) and
answers exact nearest-neighbour queries over them.
.
This package holds the C header nvdb.h, the libnvdb.so link, the CMake
package (find_package(nvdb), target nvdb::nvdb) and nvdb.pc for pkg-config.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libnvdb-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)

set(CPACK_COMPONENT_TOOLS_DEPENDS runtime)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "vector database with a C API - command-line tool
nvdb stores records (an id, a float32 vector and a JSON metadata object) and
answers exact nearest-neighbour queries over them.
.
This package holds the nvdb command: upsert, query, get, delete, import and
export, speaking JSON one value per line.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME nvdb-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION database)

set(CPACK_COMPONENT_JAVA_DEPENDS runtime)
set(CPACK_COMPONENT_JAVA_DESCRIPTION "vector database with a C API - Java binding
nvdb stores records (an id, a float32 vector and a JSON metadata object) and
answers exact nearest-neighbour queries over them.
.
This package holds the Java binding (package org.nvdb, Java 17 or newer):
/usr/share/java/nvdb.jar and its JNI library, which the jar finds by itself.")
set(CPACK_DEBIAN_JAVA_PACKAGE_NAME libnvdb-java)
set(CPACK_DEBIAN_JAVA_PACKAGE_SECTION java)
# Debian's Java policy has libraries leave the choice of a runtime to the
# programs using them (lintian: needless-dependency-on-jre): the jar needs
# Java 17 or newer, which is recommended.
set(CPACK_DEBIAN_JAVA_PACKAGE_RECOMMENDS "default-jre-headless (>= 2:1.17) | java17-runtime-headless")

set(CPACK_COMPONENT_CSHARP_DEPENDS runtime)
set(CPACK_COMPONENT_CSHARP_DESCRIPTION "vector database with a C API - C# binding
nvdb stores records (an id, a float32 vector and a JSON metadata object) and
answers exact nearest-neighbour queries over them.
.
This package holds the C# binding (namespace Nvdb) for Mono:
/usr/lib/cli/nvdb/Nvdb.dll and its native library.")
set(CPACK_DEBIAN_CSHARP_PACKAGE_NAME libnvdb-cil)
set(CPACK_DEBIAN_CSHARP_PACKAGE_SECTION cli-mono)
set(CPACK_DEBIAN_CSHARP_PACKAGE_DEPENDS "mono-runtime (>= 6.8), libmono-corlib4.5-cil (>= 6.8)")

# Go modules are built from source: the package holds the module and depends
# on what cgo needs to build it, the header and nvdb.pc.
set(CPACK_COMPONENT_GO_DEPENDS dev)
set(CPACK_COMPONENT_GO_DESCRIPTION "vector database with a C API - Go binding
nvdb stores records (an id, a float32 vector and a JSON metadata object) and
answers exact nearest-neighbour queries over them.
.
This package holds the source of the Go module nvdb.dev/nvdb in
/usr/share/gocode/src/nvdb.dev/nvdb; cgo builds it with the flags of
pkg-config's nvdb.")
set(CPACK_DEBIAN_GO_PACKAGE_NAME golang-nvdb-dev)
set(CPACK_DEBIAN_GO_PACKAGE_SECTION golang)
set(CPACK_DEBIAN_GO_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_GO_PACKAGE_DEPENDS "pkgconf | pkg-config")

# Only the components this tree builds (the bindings are optional).
set(CPACK_COMPONENTS_ALL runtime dev)
if(TARGET nvdb_cli)
  list(APPEND CPACK_COMPONENTS_ALL tools)
endif()
if(TARGET nvdb_java)
  list(APPEND CPACK_COMPONENTS_ALL java)
endif()
if(TARGET nvdb_csharp)
  list(APPEND CPACK_COMPONENTS_ALL csharp)
endif()
if(TARGET nvdb_go)
  list(APPEND CPACK_COMPONENTS_ALL go)
endif()

# Every package carries /usr/share/doc/<package>/copyright and
# changelog.Debian.gz (Debian policy 12.5 and 12.7). They are installed only
# by a per-component install, which is how CPack installs (EXCLUDE_FROM_ALL):
# a plain `cmake --install` gets no Debian files.
set(nvdb_debian_dir ${CMAKE_CURRENT_LIST_DIR}/debian)
set(nvdb_changelog ${PROJECT_BINARY_DIR}/packaging/debian/changelog.Debian)
configure_file(${nvdb_debian_dir}/changelog.in ${nvdb_changelog} @ONLY)
find_program(NVDB_GZIP gzip REQUIRED)
execute_process(COMMAND ${NVDB_GZIP} -9 --no-name --stdout ${nvdb_changelog}
  OUTPUT_FILE ${nvdb_changelog}.gz RESULT_VARIABLE gzip_status)
if(NOT gzip_status EQUAL 0)
  message(FATAL_ERROR "gzip could not compress ${nvdb_changelog}: ${gzip_status}")
endif()
foreach(component IN LISTS CPACK_COMPONENTS_ALL)
  string(TOUPPER ${component} COMPONENT)
  install(FILES ${nvdb_debian_dir}/copyright ${nvdb_changelog}.gz
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${CPACK_DEBIAN_${COMPONENT}_PACKAGE_NAME}
    COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()
# The newest changelog entry must be this very version: nvdbCPackProject.cmake
# refuses to package otherwise.
file(STRINGS ${nvdb_changelog} nvdb_changelog_head LIMIT_COUNT 1)
string(REGEX REPLACE "^nvdb \\(([^)]+)\\).*" "\\1" CPACK_NVDB_CHANGELOG_VERSION "${nvdb_changelog_head}")

include(CPack)
