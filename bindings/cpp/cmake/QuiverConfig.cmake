# QuiverConfig.cmake: the CMake package of Quiver, an embeddable vector
# database (C library libquiver + header-only C++17 binding).
#
#   find_package(Quiver 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE Quiver::quiver)   # quiver.h, quiver.hpp, libquiver
#
# Installed layout (`make install`): <prefix>/include/quiver.h and quiver.hpp,
# <prefix>/lib/libquiver.so and libquiver.a, this file in
# <prefix>/lib/cmake/Quiver/. The prefix is found from this file's location,
# so a staged (DESTDIR) or moved installation works.
#
# Targets: Quiver::quiver (the shared library, or the static one when
# QUIVER_USE_STATIC_LIBS is ON or no shared one is installed),
# Quiver::quiver_shared and Quiver::quiver_static (each when installed; the
# static one links Threads::Threads, dl and m). See QuiverTargets.cmake.
#
# Programs linked with the shared library find it at run time through the
# build tree's RPATH; installed programs need <prefix>/lib on the loader's
# path (or an INSTALL_RPATH).
#
# Sets Quiver_VERSION (from QuiverConfigVersion.cmake), Quiver_INCLUDE_DIRS,
# Quiver_LIBRARY_DIR.

include(CMakeFindDependencyMacro)

get_filename_component(_quiver_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(Quiver_INCLUDE_DIRS "${_quiver_prefix}/include")
set(Quiver_LIBRARY_DIR "${_quiver_prefix}/lib")

if(EXISTS "${Quiver_LIBRARY_DIR}/libquiver.a")
  find_dependency(Threads)
endif()

include("${CMAKE_CURRENT_LIST_DIR}/QuiverTargets.cmake")
quiver_add_targets(INCLUDE_DIRS "${Quiver_INCLUDE_DIRS}" LIBRARY_DIR "${Quiver_LIBRARY_DIR}")
if(QUIVER_TARGETS_ERROR)
  set(Quiver_FOUND FALSE)
  set(Quiver_NOT_FOUND_MESSAGE "Quiver installation in ${_quiver_prefix} is incomplete: ${QUIVER_TARGETS_ERROR}")
endif()
unset(_quiver_prefix)
