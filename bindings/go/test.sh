#!/usr/bin/env bash
# The Go binding's checks: builds libquiver (cargo build --release), then in
# bindings/go runs the gofmt check, go vet, go test and go test -race, and
# builds and runs the Go quick start (examples/go). Prints
#
#     Go: N passed, N failed
#
# and exits non-zero when anything fails.
#
# Go 1.22 or later is needed. When it is missing, the script installs Go 1.23
# from bookworm-backports with apt-get (Debian 12, as root). Everything runs
# offline: GOTOOLCHAIN=local, GOPROXY=off (the package uses the standard
# library only).
#
# The FFI overhead measurement is not part of it (build tag quiverbench):
#     cd bindings/go && go test -tags quiverbench -run TestMeasureFFI -v -timeout 60m .
#
# usage: bindings/go/test.sh        (from any directory)
# env:   CARGO   cargo command (default cargo)
#        CARGO_TARGET_DIR  cargo's target directory (default target); the
#                package links target/release/libquiver.a, so a library built
#                elsewhere is copied there first
#        GO      go command (default: found on the PATH or in /usr/lib/go-1.2x/bin)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CARGO=${CARGO:-cargo}
# Cargo's target directory: $CARGO_TARGET_DIR when set (relative to the
# repository, as cargo and the Makefile take it), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
lib_dir=$target_dir/release

# ---- toolchain ---------------------------------------------------------------
# Prints the path of a Go >= 1.22 (the "go 1.22" line of go.mod), or nothing.
find_go() {
    local candidates=() c v
    [ -n "${GO:-}" ] && candidates+=("$GO")
    for c in /usr/lib/go-1.2[2-9]/bin/go /usr/local/go/bin/go; do
        [ -x "$c" ] && candidates+=("$c")
    done
    command -v go >/dev/null 2>&1 && candidates+=("$(command -v go)")
    for c in "${candidates[@]}"; do
        v=$(GOTOOLCHAIN=local "$c" env GOVERSION 2>/dev/null) || continue
        # go1.22, go1.23.5, ... (a newer major version also qualifies)
        if [[ $v =~ ^go1\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 22 ]; then
            echo "$c"
            return 0
        fi
    done
    return 0
}

go_cmd=$(find_go)
if [ -z "$go_cmd" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "go/test.sh: error: Go >= 1.22 is needed; install it (Debian 12: golang-1.23-go from bookworm-backports)" >&2
        exit 1
    fi
    echo "go/test.sh: installing Go 1.23 from bookworm-backports" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        cat > /etc/apt/sources.list.d/backports.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    apt-get update -q >/dev/null
    apt-get install -y -q -t bookworm-backports golang-1.23-go golang-go >/dev/null
    go_cmd=$(find_go)
    if [ -z "$go_cmd" ]; then
        echo "go/test.sh: error: no Go >= 1.22 found after installing golang-1.23-go" >&2
        exit 1
    fi
fi
export PATH="$(dirname "$go_cmd"):$PATH"
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=1
gocache=$(go env GOCACHE 2>/dev/null || true)
if [ -z "$gocache" ] || [ "$gocache" = off ]; then
    export GOCACHE=$root/target/go/cache # no $HOME to put it under
fi
echo "go/test.sh: $(go version)" >&2

# ---- build the library --------------------------------------------------------
(cd "$root" && "$CARGO" build --release --quiet)
[ -f "$lib_dir/libquiver.a" ] ||
    { echo "go/test.sh: error: $lib_dir/libquiver.a was not built" >&2; exit 1; }
# The cgo directives of the package name $root/target/release/libquiver.a.
if [ ! "$lib_dir/libquiver.a" -ef "$root/target/release/libquiver.a" ]; then
    mkdir -p "$root/target/release"
    cp "$lib_dir/libquiver.a" "$root/target/release/libquiver.a"
fi

# ---- checks -------------------------------------------------------------------
export QUIVER_TEST_DATA=$root/tests/data/wordnet-sample
failures=0
step() { # step NAME COMMAND...: runs a check, remembers a failure
    local name=$1
    shift
    echo "go/test.sh: $name" >&2
    if ! "$@"; then
        echo "go/test.sh: FAILED: $name" >&2
        failures=$((failures + 1))
    fi
}
gofmt_check() {
    local bad
    bad=$(gofmt -l "$here" "$root/examples/go") || return 1
    [ -z "$bad" ] || { echo "not gofmt-formatted:" >&2; echo "$bad" >&2; return 1; }
}
log=$(mktemp)
trap 'rm -f "$log" "$log.out"' EXIT
# run_tests [FLAGS...]: go test -v, showing the top-level results (all of the
# output on failure) and keeping "PASS name" / "FAIL name" lines in $log.
# -count=1: the library is linked from target/release, which go's test cache
# does not track.
run_tests() {
    local status=0
    (cd "$here" && go test -count=1 -v "$@" ./...) >"$log.out" 2>&1 || status=$?
    grep -E '^(--- (PASS|FAIL|SKIP)|(ok|FAIL|panic)\b)' "$log.out" >&2 || true
    sed -n -E 's/^--- (PASS|FAIL): ([^ ]+).*/\1 \2/p' "$log.out" >>"$log"
    if [ "$status" != 0 ]; then
        tail -n 80 "$log.out" >&2
    fi
    return "$status"
}
quickstart() {
    (cd "$root/examples/go" && go vet . && go run . "$QUIVER_TEST_DATA")
}

step "gofmt" gofmt_check
# (with -tags quiverbench too: the FFI measurement in measure_*.go)
step "go vet" bash -c "cd '$here' && go vet ./... && go vet -tags quiverbench ./..."
step "go test" run_tests
step "go test -race" run_tests -race
step "quick start (examples/go)" quickstart

# A test counts once: failed when it failed in either run (plain or -race).
failed=$(sed -n 's/^FAIL //p' "$log" | sort -u)
passed=$(sed -n 's/^PASS //p' "$log" | sort -u | { grep -vxF -e "$failed" || true; })
n_failed=$(printf '%s' "$failed" | grep -c . || true)
n_passed=$(printf '%s' "$passed" | grep -c . || true)
echo "Go: $n_passed passed, $n_failed failed"
if [ "$failures" != 0 ] || [ "$n_failed" != 0 ] || [ "$n_passed" = 0 ]; then
    exit 1
fi
