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
    /// A sync state file (`$XDG_CACHE_HOME/vault/sync`, docs/format.md "Sync state file").
    case syncState = "sync-state"
    /// `verify --read-data`'s read windows over index entries made from the bytes.
    case packReadPlan = "pack-read-plan"

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
        case .syncState: Self.syncState(bytes)
        case .packReadPlan: Self.packReadPlan(bytes)
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

    /// The bytes as a whole state file, then as a state file's body with a
    /// matching checksum appended (random bytes never pass the SHA-256 check,
    /// so without the second call the fields behind it would go unfuzzed).
    private static func syncState(_ bytes: [UInt8]) {
        syncStateFile(bytes)
        syncStateFile(bytes + SHA256Hasher.hash(bytes).bytes)
    }

    private static func syncStateFile(_ bytes: [UInt8]) {
        guard let state = SyncState(decoding: bytes) else { return }
        // Snapshot names may come in any order, so the re-encoding (names sorted) is the fixed point.
        let encoded = state.encoded()
        require(SyncState(decoding: encoded) == state, "sync state does not survive re-encoding")
    }

    /// Input: the pack's size (Int64, little-endian, any value), the window
    /// size (Int64, any value), then index entries of 8 bytes each (offset
    /// and length, UInt32): overlapping, past the pack's end, of length 0,
    /// in any order. They are sorted as `VerifyIndex` sorts them, and the
    /// plan's promises are checked window by window.
    private static func packReadPlan(_ bytes: [UInt8]) {
        guard bytes.count >= 16 else { return }
        func integer<T: FixedWidthInteger>(at start: Int, as type: T.Type) -> T {
            var value: T = 0
            for index in 0..<MemoryLayout<T>.size {
                value |= T(truncatingIfNeeded: bytes[start + index]) << (8 * index)
            }
            return value
        }
        let packSize = integer(at: 0, as: Int64.self)
        let windowSize = integer(at: 8, as: Int64.self)
        var blobs: [IndexFile.Blob] = []
        var start = 16
        while start + 8 <= bytes.count {
            let offset = integer(at: start, as: UInt32.self)
            let length = integer(at: start + 4, as: UInt32.self)
            blobs.append(IndexFile.Blob(
                id: Digest256(words: (UInt64(blobs.count), 0, 0, 0)), type: .data, offset: offset, length: length, rawLength: length))
            start += 8
        }
        VerifyPackReadPlan.sortForPlanning(&blobs)
        let plan = VerifyPackReadPlan(blobs: blobs, packSize: packSize, windowSize: windowSize)
        checkPlan(plan, blobs: blobs, packSize: packSize, windowSize: windowSize)
    }

    /// The plan's promises: windows in file order, consecutive, non-empty,
    /// inside the pack, together exactly the pack; every blob that starts
    /// inside the pack listed in exactly one window, the one its offset is
    /// in, and held whole by it when it ends inside the pack; each window
    /// no longer than the window size or the end of its last blob needs.
    private static func checkPlan(_ plan: VerifyPackReadPlan, blobs: [IndexFile.Blob], packSize: Int64, windowSize: Int64) {
        let step = max(1, windowSize)
        var position: Int64 = 0
        var next = 0
        var windows = 0
        var windowsPastTheBlobs = 0
        for window in plan {
            // A pack of Int64.max bytes has more windows than any run can look at: past
            // the last blob every window is made alike, and three of them tell; before
            // it, 10,000 do (one-byte windows up to a blob at 4 GiB would be 2^32).
            windows += 1
            if next == blobs.count {
                windowsPastTheBlobs += 1
            }
            if windows > 10_000 || windowsPastTheBlobs > 3 { return }
            let range = window.range
            require(range.lowerBound == position, "window \(range) does not start where the last one ended (\(position))")
            require(!range.isEmpty, "empty window at \(position)")
            require(range.upperBound <= packSize, "window \(range) ends past the pack (\(packSize) bytes)")
            require(window.blobs.lowerBound == next, "window \(range) starts at blob \(window.blobs.lowerBound), not \(next)")
            require(window.blobs.upperBound <= blobs.count, "window \(range) lists blobs up to \(window.blobs.upperBound) of \(blobs.count)")
            var needed = position + min(step, packSize - position)
            for index in window.blobs {
                let offset = Int64(blobs[index].offset)
                let end = offset + Int64(blobs[index].length)
                require(range.contains(offset), "blob \(index) at \(offset) is listed in window \(range)")
                if end <= packSize {
                    require(end <= range.upperBound, "blob \(index) (\(offset)..<\(end)) is not whole in window \(range)")
                    needed = max(needed, end)
                }
            }
            require(range.upperBound == needed, "window \(range) is not the \(needed - position) bytes it needs")
            if window.blobs.upperBound < blobs.count {
                let following = Int64(blobs[window.blobs.upperBound].offset)
                require(following >= range.upperBound, "blob \(window.blobs.upperBound) at \(following) belongs in window \(range)")
            }
            position = range.upperBound
            next = window.blobs.upperBound
        }
        require(position == max(0, packSize), "the windows end at \(position), the pack at \(packSize)")
        let inside = blobs.count(where: { Int64($0.offset) < packSize })
        require(next == inside, "\(next) blobs are listed, \(inside) start inside the pack")
    }
}
