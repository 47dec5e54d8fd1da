// swift-tools-version: 6.0
import PackageDescription

// Third-party packages, declared once.
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let asyncHTTPClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")

// vault runs on Linux only: it uses Linux system calls (renameat2, the
// Linux extended-attribute calls) and is built and tested nowhere else.
#if !os(Linux)
#error("vault builds on Linux only (README, \"Set up\")")
#endif

let package = Package(
    name: "vault",
    products: [
        .executable(name: "vault", targets: ["vault"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries, wrapped once. Only VaultCodecs imports them.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLibdeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // Linux declarations the Glibc module lacks (extended attributes).
        .systemLibrary(name: "CLinuxShims"),

        // The platform layer: the only module that imports Glibc.
        .target(name: "VaultPOSIX", dependencies: ["CLinuxShims"]),
        // Leaves above it: codecs (threads and fork handling through VaultPOSIX) and the chunker.
        .target(name: "VaultCodecs", dependencies: ["CZlib", "CLibdeflate", "COpenSSL", "VaultPOSIX"]),
        .target(name: "VaultChunker"),

        // Storage backends: a flat namespace of typed objects.
        .target(name: "VaultStorage", dependencies: ["VaultPOSIX"]),
        // The S3 backend (any S3-compatible object store), over async-http-client.
        .target(name: "VaultStorageS3", dependencies: ["VaultStorage", "VaultCodecs", asyncHTTPClient, nioCore, nioHTTP1]),

        // The repository: packs, index, snapshots, trees, keys, locks.
        .target(name: "VaultRepository", dependencies: ["VaultStorage", "VaultCodecs", "VaultChunker", "VaultPOSIX"]),

        // Operations: backup, restore, verify, mirror.
        .target(name: "VaultOperations", dependencies: ["VaultRepository", "VaultStorage", "VaultStorageS3", "VaultChunker", "VaultCodecs", "VaultPOSIX"]),

        // The command-line interface.
        .executableTarget(
            name: "vault",
            dependencies: ["VaultOperations", "VaultRepository", "VaultStorage", "VaultChunker", "VaultCodecs", "VaultPOSIX", argumentParser]
        ),

        // Fuzzing (scripts/fuzz, docs/reliability.md): the parsers' entry points, and
        // a libFuzzer binary when built with -sanitize=fuzzer and -DFUZZING (else it replays files).
        .target(name: "VaultFuzzTargets", dependencies: ["VaultRepository", "VaultOperations", "VaultCodecs"]),
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(name: "vault-fuzz", dependencies: ["VaultFuzzTargets", "CLibFuzzer"]),
        .testTarget(name: "VaultFuzzTests", dependencies: ["VaultFuzzTargets"]),

        // Helpers every test target shares (seeded data).
        .target(name: "VaultTestSupport", path: "Tests/VaultTestSupport"),
        // The storage conformance suite and an in-memory backend with fault
        // injection, for every backend's tests (test targets only).
        .target(name: "VaultStorageTesting", dependencies: ["VaultStorage"], path: "Tests/VaultStorageTesting"),

        .testTarget(name: "VaultCodecsTests", dependencies: ["VaultTestSupport", "VaultCodecs", "VaultPOSIX"]),
        .testTarget(name: "VaultChunkerTests", dependencies: ["VaultTestSupport", "VaultChunker", "VaultCodecs"]),
        .testTarget(name: "VaultStorageTests", dependencies: ["VaultStorage", "VaultStorageTesting", "VaultPOSIX"]),
        .testTarget(name: "VaultStorageS3Tests", dependencies: ["VaultTestSupport", "VaultStorageS3", "VaultStorage", "VaultStorageTesting", "VaultCodecs", "VaultOperations", "vault"]),
        .testTarget(name: "VaultRepositoryTests", dependencies: ["VaultTestSupport", "VaultRepository", "VaultStorage", "VaultCodecs", "VaultChunker"]),
        .testTarget(name: "VaultOperationsTests", dependencies: ["VaultTestSupport", "VaultStorageTesting", "VaultOperations", "VaultRepository", "VaultStorage", "VaultCodecs", "VaultPOSIX"]),
        .testTarget(name: "VaultCLITests", dependencies: ["vault", "VaultTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
