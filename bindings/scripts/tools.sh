# Sourced by the bindings' test scripts: paths, and installing what is missing from the
# package registries this project reaches (Debian, npm, PyPI). Nothing else is downloaded.
bindings_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root_dir=$(cd "$bindings_dir/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root_dir/target}
lib_dir=$target_dir/debug
kotlin_version=2.4.20

# Installs Debian packages that are missing (as root, or with sudo when there is one).
apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing $* from Debian" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

# The Kotlin compiler from npm; it ships kotlinx-coroutines-core-jvm in its lib/, which is
# what the generated code and the Flow wrappers use (Debian's libkotlinx-coroutines-java is
# 1.0.1, too old for uniffi's Kotlin).
kotlin_home() {
    local home
    home="$(npm root -g 2>/dev/null)/kotlin-compiler"
    if [ ! -f "$home/bin/kotlinc" ] || [ ! -f "$home/lib/kotlinx-coroutines-core-jvm.jar" ]; then
        command -v npm >/dev/null || apt_install npm
        echo "installing kotlin-compiler@$kotlin_version from npm" >&2
        npm install -g "kotlin-compiler@$kotlin_version" >&2
        home="$(npm root -g)/kotlin-compiler"
    fi
    echo "$home"
}

# Builds the library, the generator and the testbed, and writes the bindings for $1
# (kotlin, python, swift) into $2.
generate() {
    (cd "$root_dir" && cargo build --locked -q -p orbit-bindings -p orbit-uniffi-bindgen -p orbit-bindings-testbed)
    rm -rf "$2"
    "$lib_dir/uniffi-bindgen" generate --library "$lib_dir/liborbit_bindings.so" \
        --config "$bindings_dir/bindgen.toml" --language "$1" --no-format --out-dir "$2" >/dev/null
}

# Installs what the Kotlin side needs, generates the Kotlin bindings and compiles them with
# the hand-written extensions into $lib_jar (kept while the sources are unchanged: compiling
# the 9,000 generated lines takes about a minute). Sets kotlinc, coroutines, stdlib, jna,
# junit, out and lib_jar.
kotlin_setup() {
    local missing=()
    command -v java >/dev/null && command -v javac >/dev/null || missing+=(default-jdk-headless)
    [ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
    [ -f /usr/share/java/junit4.jar ] || missing+=(junit4)
    command -v npm >/dev/null || missing+=(npm)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
    local kotlin
    kotlin=$(kotlin_home)
    kotlinc=("$kotlin/bin/kotlinc")
    coroutines=$kotlin/lib/kotlinx-coroutines-core-jvm.jar
    stdlib=$kotlin/lib/kotlin-stdlib.jar
    jna=/usr/share/java/jna.jar
    junit=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
    out=$target_dir/bindings/kotlin
    generate kotlin "$out/generated"
    local sources=("$out/generated/dev/orbit/orbit.kt" "$bindings_dir"/kotlin/src/main/kotlin/dev/orbit/*.kt)
    local stamp
    stamp=$(cat "${sources[@]}" | sha256sum | cut -c1-16)
    lib_jar=$out/orbit-$stamp.jar
    if [ ! -f "$lib_jar" ]; then
        rm -f "$out"/orbit-*.jar
        bash "${kotlinc[@]}" -nowarn -cp "$jna:$coroutines" -d "$lib_jar.tmp.jar" "${sources[@]}"
        mv "$lib_jar.tmp.jar" "$lib_jar"
    fi
}
