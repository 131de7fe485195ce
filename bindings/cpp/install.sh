#!/usr/bin/env bash
# Installs the C++ binding under a prefix, after the C parts (quiver.h,
# libquiver.so, libquiver.a) were installed there by `make install`:
#
#   PREFIX/include/quiver.hpp
#   PREFIX/lib/cmake/Quiver/QuiverConfig.cmake          find_package(Quiver)
#   PREFIX/lib/cmake/Quiver/QuiverConfigVersion.cmake
#   PREFIX/lib/cmake/Quiver/QuiverTargets.cmake
#
# usage: bindings/cpp/install.sh DESTDIR_PREFIX     e.g. "$(DESTDIR)$(PREFIX)"
#
# The CMake package finds its prefix from its own location, so staging with
# DESTDIR and installing later at PREFIX needs nothing rewritten.
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DESTDIR_PREFIX" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
install -d "$dest/include" "$dest/lib/cmake/Quiver"
install -m 644 "$here/include/quiver.hpp" "$dest/include/quiver.hpp"
for f in QuiverConfig.cmake QuiverConfigVersion.cmake QuiverTargets.cmake; do
    install -m 644 "$here/cmake/$f" "$dest/lib/cmake/Quiver/$f"
done
