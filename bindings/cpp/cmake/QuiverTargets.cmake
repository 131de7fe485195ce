# QuiverTargets.cmake: defines the imported targets of Quiver from a header
# directory list and a library directory. Used by QuiverConfig.cmake (the
# installed layout) and by bindings/cpp/tests (the build tree), so that both
# get the same targets:
#
#   Quiver::quiver_shared  libquiver.so, when present
#   Quiver::quiver_static  libquiver.a, when present; its link interface is
#                          Threads::Threads, dl and m (what the Rust
#                          standard library needs)
#   Quiver::quiver         one of them: the static library when
#                          QUIVER_USE_STATIC_LIBS is true or when there is no
#                          shared one, else the shared library
#
# Each carries the include directories (quiver.h, quiver.hpp). quiver.hpp
# needs C++17 (it stops with #error otherwise); the targets do not impose a
# language standard so that C programs can link them too.
#
# usage: quiver_add_targets(INCLUDE_DIRS dir... LIBRARY_DIR dir)
# sets:  QUIVER_TARGETS_ERROR in the caller's scope when something is missing
#        (the targets are then not defined).

function(quiver_add_targets)
  cmake_parse_arguments(arg "" "LIBRARY_DIR" "INCLUDE_DIRS" ${ARGN})
  set(QUIVER_TARGETS_ERROR "" PARENT_SCOPE)
  foreach(header quiver.h quiver.hpp)
    set(found FALSE)
    foreach(dir IN LISTS arg_INCLUDE_DIRS)
      if(EXISTS "${dir}/${header}")
        set(found TRUE)
      endif()
    endforeach()
    if(NOT found)
      set(QUIVER_TARGETS_ERROR "${header} not found in ${arg_INCLUDE_DIRS}" PARENT_SCOPE)
      return()
    endif()
  endforeach()

  set(shared "${arg_LIBRARY_DIR}/libquiver.so")
  set(static "${arg_LIBRARY_DIR}/libquiver.a")
  if(NOT EXISTS "${shared}" AND NOT EXISTS "${static}")
    set(QUIVER_TARGETS_ERROR "neither libquiver.so nor libquiver.a in ${arg_LIBRARY_DIR}" PARENT_SCOPE)
    return()
  endif()
  if(QUIVER_USE_STATIC_LIBS AND NOT EXISTS "${static}")
    set(QUIVER_TARGETS_ERROR "QUIVER_USE_STATIC_LIBS is set but ${static} does not exist" PARENT_SCOPE)
    return()
  endif()
  if(EXISTS "${static}" AND NOT TARGET Threads::Threads)
    set(QUIVER_TARGETS_ERROR "the static library needs Threads::Threads: call find_package(Threads) first" PARENT_SCOPE)
    return()
  endif()

  if(EXISTS "${shared}" AND NOT TARGET Quiver::quiver_shared)
    add_library(Quiver::quiver_shared SHARED IMPORTED)
    set_target_properties(Quiver::quiver_shared PROPERTIES
      IMPORTED_LOCATION "${shared}"
      # cargo builds libquiver.so without a DT_SONAME: link it as -lquiver so
      # that programs record "libquiver.so", not the build-time path.
      IMPORTED_NO_SONAME TRUE
      INTERFACE_INCLUDE_DIRECTORIES "${arg_INCLUDE_DIRS}")
  endif()
  if(EXISTS "${static}" AND NOT TARGET Quiver::quiver_static)
    add_library(Quiver::quiver_static STATIC IMPORTED)
    set_target_properties(Quiver::quiver_static PROPERTIES
      IMPORTED_LOCATION "${static}"
      IMPORTED_LINK_INTERFACE_LANGUAGES "C"
      INTERFACE_INCLUDE_DIRECTORIES "${arg_INCLUDE_DIRS}"
      INTERFACE_LINK_LIBRARIES "Threads::Threads;dl;m")
  endif()

  if(NOT TARGET Quiver::quiver)
    if(QUIVER_USE_STATIC_LIBS OR NOT EXISTS "${shared}")
      set(chosen Quiver::quiver_static)
    else()
      set(chosen Quiver::quiver_shared)
    endif()
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.18)
      add_library(Quiver::quiver ALIAS ${chosen})
    else()
      add_library(Quiver::quiver INTERFACE IMPORTED)
      set_target_properties(Quiver::quiver PROPERTIES INTERFACE_LINK_LIBRARIES ${chosen})
    endif()
  endif()
endfunction()
