#!/usr/bin/env bash
# What can be checked of the Swift package without a Swift toolchain:
# 1. clang compiles a C program against the generated header through its module map, and the
#    program pairs with a reference device on 127.0.0.1 through the library;
# 2. every uniffi checksum that the generated Swift verifies at load time matches the library;
# 3. tree-sitter-swift parses the generated and the hand-written Swift without an error.
# Tools come from Debian (clang) and PyPI (tree-sitter, tree-sitter-swift, in a venv).
set -euo pipefail
source "$(dirname "$0")/../scripts/tools.sh"

command -v clang >/dev/null || apt_install clang
out=$target_dir/bindings/swift
generate swift "$out/generated"
here=$bindings_dir/swift

echo "== the C header through its module map, pairing included"
clang -fmodules -fmodules-cache-path="$out/module-cache" \
    -fmodule-map-file="$out/generated/OrbitFFI.modulemap" -I "$out/generated" \
    -Wall -Werror "$here/ci/ffi_pair.c" -L "$lib_dir" -lorbit_bindings -Wl,-rpath,"$lib_dir" \
    -o "$out/ffi_pair"
coproc TESTBED { exec "$lib_dir/orbit-testbed"; }
start() {
    echo "start lamp $1" >&"${TESTBED[1]}"
    read -r line <&"${TESTBED[0]}"
    echo "$line"
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
lamp=$(start c-lamp)
victim=$(start c-victim)
status=0
"$out/ffi_pair" "$(field "$lamp" qr)" "$(field "$lamp" address)" \
    "$(field "$victim" wrong_qr)" "$(field "$victim" address)" || status=1
echo quit >&"${TESTBED[1]}"
wait "$TESTBED_PID" || true

echo "== uniffi checksums of the generated Swift against the library"
python3 "$here/ci/checksums.py" "$out/generated/Orbit.swift" "$lib_dir/liborbit_bindings.so" || status=1

echo "== Swift syntax (tree-sitter-swift)"
venv=$target_dir/bindings/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
"$venv/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null ||
    "$venv/bin/python" -m pip install -q tree-sitter tree-sitter-swift
mkdir -p "$out/readme"
sed -n '/^```swift$/,/^```$/p' "$bindings_dir/README.md" | sed '/^```/d' >"$out/readme/ReadmeExample.swift"
"$venv/bin/python" "$here/ci/parse_swift.py" "$out/generated/Orbit.swift" "$out/readme/ReadmeExample.swift" \
    "$here"/Sources/Orbit/*.swift "$here"/Tests/OrbitTests/*.swift "$here/Package.swift" || status=1
exit $status
