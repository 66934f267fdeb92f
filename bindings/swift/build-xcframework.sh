#!/usr/bin/env bash
# On a Mac with Xcode and rustup: builds the Orbit library for iOS devices, the iOS
# simulator and macOS, packs it as OrbitFFI.xcframework with the generated header and module
# map, and writes the generated Sources/Orbit/Orbit.swift, so that `swift test` (with
# ORBIT_TESTBED set) and Xcode can use this package.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/bindings/xcframework
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)

rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
    cargo rustc --locked --release -p orbit-bindings --lib --crate-type staticlib --target "$t"
done
cargo build --locked --release -p orbit-uniffi-bindgen -p orbit-bindings

rm -rf "$out" && mkdir -p "$out/headers" "$out/sim" "$out/mac"
"$target/release/uniffi-bindgen" generate --library "$target/release/liborbit_bindings.dylib" \
    --config bindings/bindgen.toml --language swift --out-dir "$out/generated"
cp "$out/generated/OrbitFFI.h" "$out/headers/"
cp "$out/generated/OrbitFFI.modulemap" "$out/headers/module.modulemap"
cp "$out/generated/Orbit.swift" bindings/swift/Sources/Orbit/Orbit.swift

lipo -create "$target/aarch64-apple-ios-sim/release/liborbit_bindings.a" "$target/x86_64-apple-ios/release/liborbit_bindings.a" -output "$out/sim/liborbit_bindings.a"
lipo -create "$target"/{aarch64,x86_64}-apple-darwin/release/liborbit_bindings.a -output "$out/mac/liborbit_bindings.a"

rm -rf bindings/swift/OrbitFFI.xcframework
xcodebuild -create-xcframework \
    -library "$target/aarch64-apple-ios/release/liborbit_bindings.a" -headers "$out/headers" \
    -library "$out/sim/liborbit_bindings.a" -headers "$out/headers" \
    -library "$out/mac/liborbit_bindings.a" -headers "$out/headers" \
    -output bindings/swift/OrbitFFI.xcframework
echo "bindings/swift/OrbitFFI.xcframework and Sources/Orbit/Orbit.swift are ready"
