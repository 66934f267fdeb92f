// swift-tools-version:5.9
// The Orbit controller for iOS and macOS apps. `build-xcframework.sh` (on a Mac) builds the
// Rust library for each Apple target into OrbitFFI.xcframework and writes the generated
// Sources/Orbit/Orbit.swift beside the hand-written OrbitAsync.swift.
import PackageDescription

let package = Package(
    name: "Orbit",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Orbit", targets: ["Orbit"]),
    ],
    targets: [
        .binaryTarget(name: "OrbitFFI", path: "OrbitFFI.xcframework"),
        .target(name: "Orbit", dependencies: ["OrbitFFI"], path: "Sources/Orbit"),
        .testTarget(name: "OrbitTests", dependencies: ["Orbit"], path: "Tests/OrbitTests"),
    ]
)
