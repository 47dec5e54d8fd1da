import VaultCodecs
import VaultOperations
import VaultRepository

/// The parsers of repository objects that fuzzing exercises (`scripts/fuzz`),
/// each as one entry point taking arbitrary bytes.
///
/// An input may make a parser throw (that is the point: hostile bytes must
/// become errors); a crash, a sanitizer report, a hang or a failed
/// property check is a finding. Every input that once crashed is kept
/// under `Fixtures/fuzz/<target>/` and replayed by `swift test`.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// A pack file's plaintext header (docs/format.md, "Pack files").
    case packHeader = "pack-header"
    /// An index file's plaintext.
    case indexFile = "index-file"
    /// A tree blob's plaintext, and the listing lines made from it.
    case tree
    /// A snapshot manifest (JSON).
    case snapshot
    /// A key file (JSON).
    case keyFile = "key-file"
    /// The `config` object and, in a plain repository, its body.
    case config
    /// The zlib decoder with its output limit.
    case zlib

    /// Runs one input through the target's parser.
    package func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        switch self {
        case .packHeader: Self.packHeader(bytes)
        case .indexFile: Self.indexFile(bytes)
        case .tree: Self.tree(bytes)
        case .snapshot: Self.snapshot(bytes)
        case .keyFile: Self.keyFile(bytes)
        case .config: Self.config(bytes)
        case .zlib: Self.zlib(bytes)
        }
    }

    /// Runs one input held in an array.
    package func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }

    /// Stops the process when a property every valid input has fails: a
    /// finding for libFuzzer, a crash for the replaying test.
    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition {
            fatalError("fuzz property failed: \(message())")
        }
    }

    // MARK: Targets

    private static func packHeader(_ bytes: [UInt8]) {
        guard let header = try? PackHeader(decoding: bytes, pack: .zero) else { return }
        // A decoded header encodes to the same bytes (the format is canonical).
        require(header.encoded() == bytes, "pack header does not round-trip")
        let locations = header.locations(pack: .zero)
        require(locations.count == header.entries.count, "one location per entry")
        require(header.blobBytes >= 0, "blob bytes add up to a negative count")
    }

    private static func indexFile(_ bytes: [UInt8]) {
        guard let file = try? IndexFile(decoding: bytes, what: "index") else { return }
        require(file.encoded() == bytes, "index file does not round-trip")
    }

    private static func tree(_ bytes: [UInt8]) {
        guard let tree = try? Tree(decoding: bytes, what: "tree") else { return }
        // User and group names are repaired to UTF-8, so the second encoding is the fixed point.
        let encoded = tree.encoded()
        let again = try? Tree(decoding: encoded, what: "re-encoded tree")
        require(again == tree, "tree does not survive re-encoding")
        for node in tree.nodes {
            let entry = SnapshotEntry(path: [UInt8(ascii: "/")] + node.name, node: node)
            _ = entry.longLine(in: .utc)
            _ = node.mtime.rfc3339
            _ = node.ctime.rfc3339
        }
    }

    private static func snapshot(_ bytes: [UInt8]) {
        guard let manifest = try? SnapshotManifest(decoding: bytes, what: "snapshot") else { return }
        _ = DisplayTime.format(manifest.time, in: .utc)
        let again = try? SnapshotManifest(decoding: manifest.encoded(), what: "re-encoded snapshot")
        require(again == manifest, "snapshot does not survive re-encoding")
    }

    private static func keyFile(_ bytes: [UInt8]) {
        // Decoding only: deriving a key costs scrypt's time and memory by design.
        guard let file = try? KeyFile(decoding: bytes, what: "key file") else { return }
        let again = try? KeyFile(decoding: file.encoded(), what: "re-encoded key file")
        require(again == file, "key file does not survive re-encoding")
    }

    private static func config(_ bytes: [UInt8]) {
        guard (try? RepositoryConfig.header(of: bytes)) != nil else { return }
        guard let config = try? RepositoryConfig(decoding: bytes, cipher: .plain) else { return }
        let again = try? RepositoryConfig(decoding: config.encoded(cipher: .plain), cipher: .plain)
        require(again == config, "config does not survive re-encoding")
    }

    /// The first two bytes choose the output limit (0 ... 65,535); the rest is the stream.
    private static func zlib(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return }
        let limit = Int(bytes[0]) | Int(bytes[1]) << 8
        let stream = Array(bytes[2...])
        guard let decompressor = try? ZlibDecompressor() else { return }
        let growing = try? decompressor.decompress(stream, maxOutputSize: limit)
        if let growing {
            require(growing.count <= limit, "zlib output \(growing.count) exceeds the limit \(limit)")
        }
        // The fixed-buffer API must agree with the growing one.
        var buffer = [UInt8](repeating: 0, count: limit)
        let written = stream.withUnsafeBytes { input in
            buffer.withUnsafeMutableBytes { output in try? decompressor.decompress(input, into: output) }
        }
        require((written == nil) == (growing == nil), "the two zlib APIs disagree on success")
        if let written, let growing {
            require(written == growing.count && Array(buffer.prefix(written)) == growing, "the two zlib APIs disagree on the output")
        }
    }
}
