#!/usr/bin/env bash
# The C# binding's tests: builds libquiver (cargo build --release), compiles
# the binding, its NUnit tests and the C# quick start with Mono's mcs
# (C# 7.2, warnings are errors), runs the tests with nunit-console against
# target/release/libquiver.so, runs the quick start and the README's
# "Use from C#" program, compiles (does not run) bench/, and prints
#
#     C#: N passed, N failed
#
# (the NUnit tests from TestResult.xml, plus the quick start and the README
# program as one test each).
# Exits non-zero when anything fails. Installs what it lacks with apt-get
# (Debian 12, as root): mono-mcs, the Mono runtime, nunit-console and the
# NUnit 2.6 framework.
#
# usage: bindings/csharp/test.sh        (from any directory)
# env:   QUIVER_CSHARP_OUT  build directory (default target/csharp)
#        CARGO              cargo command (default cargo)
#        CARGO_TARGET_DIR   cargo's target directory (default target)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${QUIVER_CSHARP_OUT:-$root/target/csharp}
CARGO=${CARGO:-cargo}
# Cargo's target directory: $CARGO_TARGET_DIR when set (relative to the
# repository, as cargo and the Makefile take it), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
lib_dir=$target_dir/release
nunit_dll=/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll

# ---- toolchain ---------------------------------------------------------------
missing=()
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs)
command -v mono >/dev/null 2>&1 || missing+=(mono-runtime)
command -v nunit-console >/dev/null 2>&1 || missing+=(nunit-console)
[ -f "$nunit_dll" ] || missing+=(libnunit-cil-dev)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "csharp/test.sh: error: missing ${missing[*]}; install them (Debian: apt-get install --no-install-recommends ${missing[*]})" >&2
        exit 1
    fi
    echo "csharp/test.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in mcs mono nunit-console; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "csharp/test.sh: error: '$tool' is still missing after installing" >&2; exit 1; }
done
[ -f "$nunit_dll" ] || { echo "csharp/test.sh: error: $nunit_dll is missing" >&2; exit 1; }

# ---- build -------------------------------------------------------------------
(cd "$root" && "$CARGO" build --release --quiet)
[ -f "$lib_dir/libquiver.so" ] || { echo "csharp/test.sh: error: $lib_dir/libquiver.so was not built" >&2; exit 1; }

mkdir -p "$out"
MCS_FLAGS=(-langversion:7.2 -unsafe -warnaserror -optimize+ -debug -nologo)
mcs "${MCS_FLAGS[@]}" -target:library -out:"$out/Quiver.dll" -doc:"$out/Quiver.xml" \
    "$here"/src/*.cs
mcs "${MCS_FLAGS[@]}" -target:library -out:"$out/Quiver.Tests.dll" \
    -r:"$out/Quiver.dll" -r:"$nunit_dll" "$here"/tests/*.cs
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$out/QuickStart.exe" \
    -r:"$out/Quiver.dll" "$root"/examples/csharp/*.cs
# The benchmark is compiled (so that it cannot rot) but not run: bench/run.sh.
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$out/Bench.exe" -r:"$out/Quiver.dll" "$here"/bench/*.cs
# The README's "Use from C#" program, compiled and run as it is printed.
python3 - "$here/README.md" "$out/ReadmeSnippet.cs" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text[text.index("## Use from C#"):]
code = re.search(r"```csharp\n(.*?)```", section, re.S)
if code is None:
    sys.exit("csharp/test.sh: no csharp block under '## Use from C#' in " + sys.argv[1])
open(sys.argv[2], "w", encoding="utf-8").write(code.group(1))
PY
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$out/ReadmeSnippet.exe" -r:"$out/Quiver.dll" "$out/ReadmeSnippet.cs"
cp "$nunit_dll" "$out/"

# ---- run ---------------------------------------------------------------------
export LD_LIBRARY_PATH=$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export QUIVER_TEST_DATA=$root/tests/data/wordnet-sample
status=0
rm -f "$out/TestResult.xml"
(cd "$out" && nunit-console -nologo -nodots -labels -noshadow Quiver.Tests.dll -xml=TestResult.xml) || status=$?

summary=$(python3 - "$out/TestResult.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:  # no or broken result file: the run itself failed
    print("0 0 1")
    sys.exit(0)
passed = failed = 0
for case in root.iter("test-case"):
    if case.get("executed") != "True":
        continue
    if case.get("success") == "True":
        passed += 1
    else:
        failed += 1
print(passed, failed, 0)
EOF
)
read -r passed failed broken <<<"$summary"

quick=0
(cd "$out" && mono QuickStart.exe "$root/tests/data/wordnet-sample") >"$out/quickstart.log" 2>&1 || quick=$?
if [ "$quick" != 0 ]; then
    echo "csharp/test.sh: the quick start (examples/csharp) failed:" >&2
    cat "$out/quickstart.log" >&2
fi
snippet=0
snippet_dir=$(mktemp -d /tmp/quiver-cs-readme-XXXXXX)
(cd "$snippet_dir" && mono "$out/ReadmeSnippet.exe") >"$out/readme-snippet.log" 2>&1 || snippet=$?
rm -rf "$snippet_dir"
grep -q "^DimensionMismatch: " "$out/readme-snippet.log" || snippet=1
if [ "$snippet" != 0 ]; then
    echo "csharp/test.sh: the README's \"Use from C#\" program failed:" >&2
    cat "$out/readme-snippet.log" >&2
fi

# The quick start and the README program count as one test each.
for rc in "$quick" "$snippet"; do
    if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "C#: $passed passed, $failed failed"
if [ "$broken" != 0 ]; then
    echo "csharp/test.sh: error: nunit-console wrote no readable $out/TestResult.xml" >&2
    exit 1
fi
if [ "$status" != 0 ] || [ "$failed" != 0 ] || [ "$passed" -le 2 ]; then
    exit 1
fi
