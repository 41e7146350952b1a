# Read by cpack (CPACK_PROJECT_CONFIG_FILE) before it packages. Debian
# packages install under /usr, and the tree must have been configured for
# it: the library directory (/usr/lib/<triplet>), the Java jar's path to its
# JNI library and the RUNPATHs are fixed when the tree is configured.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_NVDB_CONFIGURED_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR
    "nvdb: Debian packages need a tree configured with -DCMAKE_INSTALL_PREFIX=/usr "
    "(this one has ${CPACK_NVDB_CONFIGURED_PREFIX}); the `deb` preset does it: "
    "cmake --preset deb && cmake --build --preset deb && cpack --preset deb")
endif()

# A new version needs its entry in packaging/debian/changelog.in first: the
# packages must not describe themselves with another version's changelog.
set(nvdb_deb_version "${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_NVDB_CHANGELOG_VERSION STREQUAL nvdb_deb_version)
  message(FATAL_ERROR
    "nvdb: the newest entry of packaging/debian/changelog.in is for "
    "${CPACK_NVDB_CHANGELOG_VERSION}, the packages are ${nvdb_deb_version}: add an entry for it")
endif()

# Each package's description starts with its own synopsis line
# (CPACK_COMPONENT_<C>_DESCRIPTION): no common summary is to be prepended.
unset(CPACK_PACKAGE_DESCRIPTION_SUMMARY)
