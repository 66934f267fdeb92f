#!/usr/bin/env bash
# Generates the Kotlin bindings from the built library, compiles them with the hand-written
# extensions and the JUnit suite (kotlinc from npm; JNA and JUnit from Debian), and runs the
# suite on the JVM against reference devices on 127.0.0.1. Prints `N passed, N failed`.
set -euo pipefail
source "$(dirname "$0")/../scripts/tools.sh"

missing=()
command -v java >/dev/null && command -v javac >/dev/null || missing+=(default-jdk-headless)
[ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
[ -f /usr/share/java/junit4.jar ] || missing+=(junit4)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
kotlin=$(kotlin_home)
kotlinc=("$kotlin/bin/kotlinc")
coroutines=$kotlin/lib/kotlinx-coroutines-core-jvm.jar
stdlib=$kotlin/lib/kotlin-stdlib.jar
jna=/usr/share/java/jna.jar
junit=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar

out=$target_dir/bindings/kotlin
generate kotlin "$out/generated"

# Compiling the 9,000 generated lines takes about a minute: the jar is kept while the
# generated and hand-written sources are unchanged.
sources=("$out/generated/dev/orbit/orbit.kt" "$bindings_dir"/kotlin/src/main/kotlin/dev/orbit/*.kt)
stamp=$(cat "${sources[@]}" | sha256sum | cut -c1-16)
lib_jar=$out/orbit-$stamp.jar
if [ ! -f "$lib_jar" ]; then
    rm -f "$out"/orbit-*.jar
    bash "${kotlinc[@]}" -nowarn -cp "$jna:$coroutines" -d "$lib_jar.tmp.jar" "${sources[@]}"
    mv "$lib_jar.tmp.jar" "$lib_jar"
fi
rm -rf "$out/tests"
bash "${kotlinc[@]}" -nowarn -cp "$lib_jar:$jna:$coroutines:$junit" -d "$out/tests" \
    "$bindings_dir"/kotlin/src/test/kotlin/dev/orbit/*.kt

exec java -cp "$out/tests:$lib_jar:$jna:$coroutines:$stdlib:$junit" \
    -Djna.library.path="$lib_dir" -Dorbit.testbed="$lib_dir/orbit-testbed" \
    dev.orbit.MainKt
