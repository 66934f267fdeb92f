#!/usr/bin/env bash
# Benchmark, not a test: the median time of reading one attribute through the Kotlin
# bindings and through the SDK from Rust, in one run, and their ratio.
# usage: bindings/kotlin/bench.sh [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/../scripts/tools.sh"
kotlin_setup
(cd "$root_dir" && cargo build --locked -q -p orbit-bindings --example read_bench)
rm -rf "$out/bench"
bash "${kotlinc[@]}" -nowarn -cp "$lib_jar:$jna:$coroutines" -d "$out/bench" \
    "$bindings_dir/kotlin/bench/ReadBench.kt" "$bindings_dir/kotlin/src/test/kotlin/dev/orbit/Testbed.kt"
exec java -cp "$out/bench:$lib_jar:$jna:$coroutines:$stdlib" \
    -Djna.library.path="$lib_dir" -Dorbit.testbed="$lib_dir/orbit-testbed" \
    -Dorbit.rustbench="$lib_dir/examples/read_bench" dev.orbit.ReadBenchKt "$@"
