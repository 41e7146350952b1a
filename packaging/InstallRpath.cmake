# nvdb_install_rpath(TARGET DIR): once installed in DIR (relative to the
# prefix), TARGET finds libnvdb through an $ORIGIN-relative RUNPATH, so that
# a tree installed anywhere (--prefix ~/opt/nvdb, a staged prefix) runs as it
# lies. Installs into a directory the linker searches anyway (/usr/lib/<triplet>,
# what the Debian packages use) get no RUNPATH, as Debian policy asks.
function(nvdb_install_rpath target dir)
  set(libdir ${CMAKE_INSTALL_LIBDIR})
  if(IS_ABSOLUTE "${libdir}" OR IS_ABSOLUTE "${dir}")
    return()  # a relative RUNPATH cannot be derived; use the system's search path
  endif()
  if("${CMAKE_INSTALL_FULL_LIBDIR}" IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES
     OR "${CMAKE_INSTALL_FULL_LIBDIR}" IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    return()
  endif()
  file(RELATIVE_PATH relative /${dir} /${libdir})
  string(REGEX REPLACE "/$" "" relative "${relative}")
  if(relative STREQUAL "")
    set(rpath "$ORIGIN")
  else()
    set(rpath "$ORIGIN/${relative}")
  endif()
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "${rpath}")
endfunction()
