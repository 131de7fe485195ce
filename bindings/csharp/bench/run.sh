#!/usr/bin/env bash
# Batch search from C# vs a raw P/Invoke of the C ABI, on the WordNet data
# (see Bench.cs). Not part of the tests; run bindings/csharp/test.sh once
# first (it installs Mono and builds the binding).
#
# usage: bindings/csharp/bench/run.sh [DATA_DIR] [REPS]
#        (DATA_DIR default ../shared/data/wordnet from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$root/target/csharp
data=${1:-$root/../shared/data/wordnet}
reps=${2:-50}
(cd "$root" && cargo build --release --quiet)
mkdir -p "$out"
mcs -langversion:7.2 -unsafe -warnaserror -optimize+ -nologo -target:library \
    -out:"$out/Quiver.dll" "$root"/bindings/csharp/src/*.cs
mcs -langversion:7.2 -unsafe -warnaserror -optimize+ -nologo -target:exe \
    -out:"$out/Bench.exe" -r:"$out/Quiver.dll" "$here/Bench.cs"
cd "$root"
LD_LIBRARY_PATH=$root/target/release mono --optimize=all "$out/Bench.exe" "$data" "$reps" "$out/bench-db"
