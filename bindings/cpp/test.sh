#!/usr/bin/env bash
# The C++ binding's tests, as `make test` runs them:
#
#   1. installs what it lacks with apt-get (Debian 12, as root): cmake,
#      GoogleTest (libgtest-dev, libgmock-dev);
#   2. builds libquiver (cargo build --release; a no-op when it is fresh);
#   3. configures and builds bindings/cpp/tests with CMake against the build
#      tree (-DQUIVER_ROOT=<repo>; warnings are errors), runs them with ctest,
#      then runs the test binary under valgrind memcheck (no errors, no
#      definite or indirect leaks);
#   4. installs into a temporary prefix with `make install`
#      (include/quiver.h, libquiver.so/.a, then bindings/cpp/install.sh),
#      builds examples/cpp through find_package(Quiver) against it, linked
#      with the shared and with the static library, and runs both.
#
# Prints "C++: ok (...)" at the end; exits non-zero when anything fails.
#
# usage: bindings/cpp/test.sh        (from any directory)
# env:   QUIVER_CPP_OUT  build directory (default target/cpp)
#        CARGO           cargo command (default cargo)
#        CARGO_TARGET_DIR  cargo's target directory (default target)
#        VALGRIND        valgrind command (default valgrind; "none" skips that step)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${QUIVER_CPP_OUT:-$root/target/cpp}
CARGO=${CARGO:-cargo}
# Cargo's target directory: $CARGO_TARGET_DIR when set (relative to the
# repository, as cargo and the Makefile take it), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
lib_dir=$target_dir/release
VALGRIND=${VALGRIND:-valgrind}
data=$root/tests/data/wordnet-sample
say() { echo "cpp/test.sh: $*" >&2; }

# ---- 1. toolchain ---------------------------------------------------------------
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
if command -v dpkg-query >/dev/null 2>&1; then
    # The Debian GTest CMake package also declares the gmock targets.
    for pkg in libgtest-dev libgmock-dev; do installed "$pkg" || missing+=("$pkg"); done
fi
if [ "$VALGRIND" != none ] && ! command -v "$VALGRIND" >/dev/null 2>&1; then missing+=(valgrind); fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "error: missing ${missing[*]}; install them (Debian: apt-get install --no-install-recommends ${missing[*]})"
        exit 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
jobs=$(nproc 2>/dev/null || echo 2)

# ---- 2. the library ----------------------------------------------------------------
(cd "$root" && "$CARGO" build --release --quiet)
for f in libquiver.a libquiver.so; do
    [ -f "$lib_dir/$f" ] || { say "error: $lib_dir/$f was not built"; exit 1; }
done

# ---- 3. tests against the build tree ------------------------------------------------
rm -rf "$out/tests"
cmake -S "$here/tests" -B "$out/tests" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQUIVER_ROOT="$root" -DQUIVER_LIBRARY_DIR="$lib_dir" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$out/tests" --parallel "$jobs"
(cd "$out/tests" && QUIVER_TEST_DATA="$data" ctest --output-on-failure --parallel 1)
if [ "$VALGRIND" != none ]; then
    say "running the tests under valgrind memcheck"
    # Rayon's global thread pool lives until exit: its threads' blocks are
    # "still reachable" or "possibly lost"; only definite and indirect leaks
    # are leaks of ours. --fair-sched=yes: valgrind runs one thread at a
    # time, and with its default (unfair) lock a thread looping on searches
    # can starve the thread that would close the database for minutes.
    log=$out/valgrind.log
    if ! QUIVER_TEST_DATA="$data" QUIVER_TEST_UNDER_VALGRIND=1 "$VALGRIND" --log-file="$log" \
        --error-exitcode=1 --fair-sched=yes --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect "$out/tests/quiver_cpp_tests" --gtest_brief=1; then
        cat "$log" >&2
        say "error: valgrind memcheck failed (log: $log)"
        exit 1
    fi
    grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|All heap blocks were freed' "$log" |
        sed 's/^==[0-9]*== */valgrind: /'
fi

# ---- 4. install, then find_package(Quiver) ------------------------------------------
prefix=$out/prefix
rm -rf "$prefix" "$out/example-shared" "$out/example-static"
# The project's own install target: the C parts, then bindings/cpp/install.sh.
make -C "$root" --no-print-directory install PREFIX="$prefix" >/dev/null
for f in include/quiver.hpp lib/cmake/Quiver/QuiverConfig.cmake lib/cmake/Quiver/QuiverConfigVersion.cmake; do
    [ -f "$prefix/$f" ] || { say "error: make install did not install $f"; exit 1; }
done

# The package version is the header's (QV_VERSION), which matches
# Cargo.toml; before 1.0 the same major.minor is compatible.
version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")
IFS=. read -r major minor _ <<<"$version"
printf '%s\n' "include(\"$prefix/lib/cmake/Quiver/QuiverConfigVersion.cmake\")" \
    'message("${PACKAGE_VERSION} ${PACKAGE_VERSION_COMPATIBLE}")' > "$out/version-check.cmake"
check_version() { # REQUESTED_VERSION EXPECTED_COMPATIBLE(TRUE/FALSE)
    local got
    got=$(cmake -DPACKAGE_FIND_VERSION="$1" -P "$out/version-check.cmake" 2>&1)
    [ "$got" = "$version $2" ] ||
        { say "error: find_package(Quiver $1) with $version installed: expected compatible=$2, got '$got'"; exit 1; }
}
check_version "$version" TRUE
check_version "$major.$minor" TRUE
check_version "$major.$((minor + 1))" FALSE
check_version "$((major + 1)).0" FALSE

check_example() { # OUTPUT_FILE: two lists of 5 hits, each "  0.xxx  #id  text"
    local hits
    hits=$(grep -cE '^  [0-9.-]+  #[0-9]+ +[^ ]' "$1" || true)
    [ "$hits" = 10 ] || { say "error: expected 10 hits from the example, got $hits:"; cat "$1" >&2; exit 1; }
}
for kind in shared static; do
    static=OFF
    [ $kind = static ] && static=ON
    cmake -S "$root/examples/cpp" -B "$out/example-$kind" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$prefix" -DQUIVER_USE_STATIC_LIBS=$static \
        -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
    cmake --build "$out/example-$kind" --parallel "$jobs" >/dev/null
    exe=$out/example-$kind/quickstart
    if [ $kind = shared ]; then
        deps=$(ldd "$exe")
        grep -q "$prefix/lib/libquiver.so" <<<"$deps" ||
            { say "error: the example does not load $prefix/lib/libquiver.so:"; echo "$deps" >&2; exit 1; }
    elif grep -q 'libquiver' <<<"$(readelf -d "$exe")"; then
        say "error: the static example still needs libquiver.so"
        exit 1
    fi
    "$exe" "$data" > "$out/example-$kind.txt"
    check_example "$out/example-$kind.txt"
done
cat "$out/example-shared.txt"

echo "C++: ok (ctest, valgrind memcheck, find_package(Quiver) with the shared and the static library)"
