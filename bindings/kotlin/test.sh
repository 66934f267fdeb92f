#!/usr/bin/env bash
# Generates the Kotlin bindings from the built library, compiles them with the hand-written
# extensions and the JUnit suite (kotlinc from npm; JNA and JUnit from Debian), and runs the
# suite on the JVM against reference devices on 127.0.0.1. Prints `N passed, N failed`.
set -euo pipefail
source "$(dirname "$0")/../scripts/tools.sh"

kotlin_setup
rm -rf "$out/tests" "$out/readme" && mkdir -p "$out/readme"
# The README's example is compiled with the suite, so it keeps matching the API.
sed -n '/^```kotlin$/,/^```$/p' "$bindings_dir/README.md" | sed '/^```/d' >"$out/readme/ReadmeExample.kt"
bash "${kotlinc[@]}" -nowarn -cp "$lib_jar:$jna:$coroutines:$junit" -d "$out/tests" \
    "$bindings_dir"/kotlin/src/test/kotlin/dev/orbit/*.kt "$out/readme/ReadmeExample.kt"

exec java -cp "$out/tests:$lib_jar:$jna:$coroutines:$stdlib:$junit" \
    -Djna.library.path="$lib_dir" -Dorbit.testbed="$lib_dir/orbit-testbed" \
    dev.orbit.MainKt
