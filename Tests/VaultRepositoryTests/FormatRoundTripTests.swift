import Testing
import VaultCodecs
@testable import VaultRepository

@Suite("Format round trips")
struct FormatRoundTripTests {
    @Test("a tree with every node type, odd names and xattrs survives encoding")
    func treeRoundTrip() throws {
        var file = TreeNode(name: Array("résumé.txt".utf8), type: .file)
        file.mode = 0o644
        file.uid = 1000
        file.gid = 100
        file.user = "ada"
        file.group = "users"
        file.mtime = Timestamp(nanoseconds: 1_700_000_000_123_456_789)
        file.ctime = Timestamp(nanoseconds: -5)
        file.size = 3
        file.inode = 42
        file.device = 2049
        file.links = 2
        file.content = [SHA256Hasher.hash([1, 2, 3]), SHA256Hasher.hash([4])]
        file.xattrs = [ExtendedAttribute(name: Array("user.note".utf8), value: [0, 255, 7])]
        file.flags = .changedWhileReading
        var directory = TreeNode(name: [0xFF, 0xFE, 0x20, 0x0A], type: .directory)  // not UTF-8, with a space and a newline
        directory.subtree = SHA256Hasher.hash([9])
        var link = TreeNode(name: Array("link".utf8), type: .symlink)
        link.linkTarget = Array("../elsewhere/\u{1}".utf8)
        var device = TreeNode(name: Array("null".utf8), type: .characterDevice)
        device.rdev = 0x0103
        let others = [NodeType.fifo, .socket, .blockDevice].map { TreeNode(name: Array("n\($0.rawValue)".utf8), type: $0) }

        let tree = try Tree(nodes: [file, directory, link, device] + others)
        let decoded = try Tree(decoding: tree.encoded(), what: "test tree")
        #expect(decoded == tree)
        #expect(decoded.nodes.map(\.name) == tree.nodes.map(\.name).sorted { $0.lexicographicallyPrecedes($1) })
        #expect(decoded.nodes.first { $0.type == .directory }?.name == [0xFF, 0xFE, 0x20, 0x0A])
    }

    @Test("trees refuse unsafe and duplicate names", arguments: [
        [UInt8](), Array(".".utf8), Array("..".utf8), Array("a/b".utf8), [0x61, 0x00],
    ])
    func treeRejectsUnsafeNames(name: [UInt8]) throws {
        #expect(throws: RepositoryError.self) { try Tree(nodes: [TreeNode(name: name, type: .file)]) }
    }

    @Test("a decoded tree with an unsafe name is damage, not a path")
    func decodedUnsafeNameIsDamage() throws {
        let safe = try Tree(nodes: [TreeNode(name: Array("ab".utf8), type: .file)])
        var bytes = safe.encoded()
        // Name bytes follow magic (4), count (4) and the name length (2).
        bytes[10] = UInt8(ascii: ".")
        bytes[11] = UInt8(ascii: ".")
        let error = try #require(throws: RepositoryError.self) { try Tree(decoding: bytes, what: "tree x") }
        #expect(error.code == .damaged)
        #expect(error.message.contains("tree x"))
    }

    @Test("every truncation of a tree blob is reported as damage")
    func truncatedTree() throws {
        var node = TreeNode(name: Array("f".utf8), type: .file)
        node.content = [SHA256Hasher.hash([1])]
        let bytes = try Tree(nodes: [node]).encoded()
        for length in 0..<bytes.count {
            let error = try #require(throws: RepositoryError.self) { try Tree(decoding: Array(bytes.prefix(length)), what: "t") }
            #expect(error.code == .damaged)
        }
    }

    @Test("index files round trip and reject truncation")
    func indexRoundTrip() throws {
        let pack = IndexFile.Pack(id: PackID(SHA256Hasher.hash([1])), size: 1000, blobs: [
            IndexFile.Blob(id: SHA256Hasher.hash([2]), type: .data, offset: 0, length: 500, rawLength: 900),
            IndexFile.Blob(id: SHA256Hasher.hash([3]), type: .tree, offset: 500, length: 400, rawLength: 400),
        ])
        let file = IndexFile(supersedes: [IndexFileID(SHA256Hasher.hash([4]))], packs: [pack])
        let bytes = file.encoded()
        #expect(try IndexFile(decoding: bytes, what: "index") == file)
        for length in [0, 3, 8, 40, bytes.count - 1] {
            #expect(throws: RepositoryError.self) { try IndexFile(decoding: Array(bytes.prefix(length)), what: "index") }
        }
    }

    @Test("an index entry pointing outside its pack is damage")
    func indexBlobOutsidePack() throws {
        let pack = IndexFile.Pack(id: PackID(SHA256Hasher.hash([1])), size: 100, blobs: [
            IndexFile.Blob(id: SHA256Hasher.hash([2]), type: .data, offset: 90, length: 20, rawLength: 20),
        ])
        let error = try #require(throws: RepositoryError.self) {
            try IndexFile(decoding: IndexFile(packs: [pack]).encoded(), what: "index x")
        }
        #expect(error.message.contains("outside pack"))
    }

    @Test("a snapshot manifest round trips")
    func snapshotRoundTrip() throws {
        var summary = SnapshotSummary()
        summary.filesNew = 3
        summary.bytesAdded = 1234
        let manifest = SnapshotManifest(
            time: Timestamp(nanoseconds: 1_764_176_523_000_000_001), host: "h", user: "u", paths: ["/a", "/b c"], tags: ["t"],
            kind: .differential, parent: SnapshotID(SHA256Hasher.hash([1])), base: SnapshotID(SHA256Hasher.hash([2])), tree: SHA256Hasher.hash([3]),
            incomplete: true, summary: summary, program: "vault test"
        )
        #expect(try SnapshotManifest(decoding: manifest.encoded(), what: "s") == manifest)
    }

    @Test("timestamps format and parse RFC 3339", arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(1_764_176_523_123_456_789), "2025-11-26T17:02:03.123456789Z"),
        (Int64(1_764_176_523_500_000_000), "2025-11-26T17:02:03.5Z"),
        (Int64(-1_000_000_000), "1969-12-31T23:59:59Z"),
    ])
    func timestamps(nanoseconds: Int64, text: String) throws {
        #expect(Timestamp(nanoseconds: nanoseconds).rfc3339 == text)
        #expect(Timestamp(rfc3339: text) == Timestamp(nanoseconds: nanoseconds))
    }

    @Test("timestamps with offsets parse; garbage does not")
    func timestampParsing() {
        #expect(Timestamp(rfc3339: "2025-11-26T18:02:03+01:00") == Timestamp(rfc3339: "2025-11-26T17:02:03Z"))
        for bad in ["", "2025-11-26", "2025-13-01T00:00:00Z", "2025-11-26T17:02:03", "2025-11-26T17:02:03.Z", "x025-11-26T17:02:03Z"] {
            #expect(Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
    }

    @Test("the config of a plain repository is readable without keys; an encrypted one is not")
    func configEncoding() throws {
        let plain = RepositoryConfig(isEncrypted: false)
        #expect(try RepositoryConfig(decoding: plain.encoded(cipher: .plain), cipher: .plain) == plain)

        let keys = MasterKeys.generate()
        let encrypted = RepositoryConfig(isEncrypted: true, compression: .zlib(level: 3))
        let bytes = encrypted.encoded(cipher: ObjectCipher(keys: keys))
        #expect(try RepositoryConfig(decoding: bytes, cipher: ObjectCipher(keys: keys)) == encrypted)
        #expect(try RepositoryConfig.header(of: bytes) == RepositoryConfig.Header(version: 1, isEncrypted: true))
        let wrongKeys = ObjectCipher(keys: MasterKeys.generate())
        let error = try #require(throws: RepositoryError.self) { try RepositoryConfig(decoding: bytes, cipher: wrongKeys) }
        #expect(error.code == .damaged)
    }

    @Test("compression settings parse", arguments: [
        ("none", CompressionSetting.none), ("zlib", CompressionSetting.default), ("zlib:1", .zlib(level: 1)), ("zlib:9", .zlib(level: 9)),
    ])
    func compressionParsing(text: String, expected: CompressionSetting) throws {
        #expect(try CompressionSetting(parsing: text) == expected)
    }

    @Test("bad compression settings are refused", arguments: ["zlib:0", "zlib:10", "zstd", "", "zlib:"])
    func badCompression(text: String) {
        #expect(throws: RepositoryError.self) { try CompressionSetting(parsing: text) }
    }
}
