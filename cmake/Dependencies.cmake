# The design card's libraries, found the way PLATFORM.md measured them on
# Debian 12. Every failure names the Debian package that provides the piece.
find_package(PkgConfig)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run scripts/setup-deps.sh)")
endif()

macro(oomlab_require_pkg var module package)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${package} (or run scripts/setup-deps.sh)")
  endif()
endmacro()

oomlab_require_pkg(LIBCGROUP "libcgroup>=2.0" libcgroup-dev)
oomlab_require_pkg(LIBPROC2 "libproc2>=4.0" libproc2-dev)
# The watchdog's taskstats delay-accounting queries (generic netlink).
oomlab_require_pkg(LIBNL_GENL "libnl-genl-3.0>=3.5" libnl-genl-3-dev)

find_package(nlohmann_json 3.11 QUIET)
if(NOT nlohmann_json_FOUND)
  message(FATAL_ERROR "nlohmann_json >= 3.11 not found: apt-get install nlohmann-json3-dev (or run scripts/setup-deps.sh)")
endif()

find_package(Boost 1.74 QUIET)
if(NOT Boost_FOUND)
  message(FATAL_ERROR "Boost >= 1.74 (Asio) not found: apt-get install libboost-dev (or run scripts/setup-deps.sh)")
endif()

find_package(Threads REQUIRED)

if(OOMLAB_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    message(FATAL_ERROR "GoogleTest not found: apt-get install libgtest-dev libgmock-dev (or run scripts/setup-deps.sh)")
  endif()
  include(GoogleTest)
endif()
if(OOMLAB_BENCH)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(FATAL_ERROR "Google Benchmark not found: apt-get install libbenchmark-dev (or run scripts/setup-deps.sh)")
  endif()
endif()

# oomlab_static_archives(OUT FALLBACK lib...): sets OUT to a target that links
# lib<name>.a for every name (in that order, with FALLBACK's include
# directories) when all are installed (the -dev packages above ship them), else
# to FALLBACK (the pkg-config target of the shared libraries). Why static: the
# watchdog mlocks itself, so every page it touches stays resident, and a shared
# library costs its relocations and the kernel's 64 kB fault-around reads even
# when three of its functions are used; from an archive only the objects used
# are linked (bench/watchdog/RESULTS.md, RSS steps).
function(oomlab_static_archives out fallback)
  set(paths)
  foreach(name IN LISTS ARGN)
    find_library(OOMLAB_STATIC_LIB_${name} NAMES lib${name}.a)
    if(NOT OOMLAB_STATIC_LIB_${name})
      message(STATUS "oomlab: lib${name}.a not found, linking ${fallback} (shared)")
      set(${out} ${fallback} PARENT_SCOPE)
      return()
    endif()
    list(APPEND paths ${OOMLAB_STATIC_LIB_${name}})
  endforeach()
  set(target oomlab_static_${out})
  add_library(${target} INTERFACE)
  target_link_libraries(${target} INTERFACE ${paths})
  get_target_property(includes ${fallback} INTERFACE_INCLUDE_DIRECTORIES)
  if(includes)
    target_include_directories(${target} INTERFACE ${includes})
  endif()
  set(${out} ${target} PARENT_SCOPE)
endfunction()
