import Foundation
import Testing
import VaultCodecs
import VaultStorage
@testable import VaultRepository

/// Hostile values in repository objects become errors, never traps
/// (docs/reliability.md, "Crafted input, platform edge cases and crashes").
@Suite("Crafted input: timestamps, tree sizes, snapshots, key files")
struct CraftedInputTests {
    // MARK: Timestamps

    @Test("every timestamp in the i64 range has seconds, a fraction and an RFC 3339 form")
    func timestampExtremes() {
        #expect(Timestamp.earliest.seconds == -9_223_372_037)
        #expect(Timestamp.earliest.nanosecondsPastSecond == 145_224_192)
        #expect(Timestamp.earliest.rfc3339 == "1677-09-21T00:12:43.145224192Z")
        #expect(Timestamp.latest.seconds == 9_223_372_036)
        #expect(Timestamp.latest.rfc3339 == "2262-04-11T23:47:16.854775807Z")
        #expect(Timestamp(nanoseconds: -1).seconds == -1)
        #expect(Timestamp(nanoseconds: -1).nanosecondsPastSecond == 999_999_999)
        #expect(Timestamp(rfc3339: Timestamp.earliest.rfc3339) == .earliest)
        #expect(Timestamp(rfc3339: Timestamp.latest.rfc3339) == .latest)
    }

    @Test("RFC 3339 times outside 1677-2262 are refused, not overflowed", arguments: [
        "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "1000-01-01T00:00:00Z", "2300-01-01T00:00:00Z",
        "2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:43.145224191Z",
    ])
    func rfc3339OutOfRange(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("seconds and nanoseconds: exact inside the range, clamped outside")
    func clamping() {
        #expect(Timestamp(seconds: 1, nanoseconds: 5)?.nanoseconds == 1_000_000_005)
        #expect(Timestamp(seconds: -9_223_372_037, nanoseconds: 145_224_192) == .earliest)
        #expect(Timestamp(seconds: -9_223_372_037, nanoseconds: 145_224_191) == nil)
        #expect(Timestamp(seconds: 9_223_372_036, nanoseconds: 854_775_807) == .latest)
        #expect(Timestamp(seconds: 9_223_372_036, nanoseconds: 854_775_808) == nil)
        #expect(Timestamp(seconds: 10_413_792_000, nanoseconds: 0) == nil)  // 2300-01-01
        let future = Timestamp.clamping(seconds: 10_413_792_000, nanoseconds: 0)
        #expect(future.timestamp == .latest && !future.isExact)
        let past = Timestamp.clamping(seconds: -30_610_224_000, nanoseconds: 0)  // 1000-01-01
        #expect(past.timestamp == .earliest && !past.isExact)
        let now = Timestamp.clamping(seconds: 1_700_000_000, nanoseconds: 7)
        #expect(now.isExact && now.timestamp.nanoseconds == 1_700_000_000_000_000_007)
        #expect(Timestamp.latest.nanoseconds(since: .earliest) == .max)
        #expect(Timestamp.earliest.nanoseconds(since: .latest) == .min)
    }

    @Test("a snapshot time past 2262 is damage, not an overflow")
    func snapshotTimeOutOfRange() throws {
        let manifest = Self.manifestJSON(time: "9999-01-01T00:00:00Z")
        #expect(throws: RepositoryError.self) { try SnapshotManifest(decoding: manifest, what: "snapshot") }
    }

    @Test("a lock claiming the earliest time is stale, without overflow")
    func ancientLock() {
        let lock = LockFile(time: .earliest, exclusive: true, host: "elsewhere", pid: 1, user: "u")
        #expect(lock.isStale(now: .now(), localHost: "here"))
        #expect(!LockFile(time: .latest, exclusive: true, host: "elsewhere", pid: 1, user: "u").isStale(now: .earliest, localHost: "here"))
    }

    // MARK: Pack headers

    @Test("a pack header whose blobs run past a u32 offset is damage, not wrapped offsets")
    func packHeaderPast4GiB() throws {
        let entry = PackHeaderEntry(type: .data, length: .max, rawLength: 1, id: .zero)
        let two = PackHeader(entries: [entry, entry]).encoded()
        #expect(try PackHeader(decoding: two, pack: .zero).entries.count == 2)  // the second starts at 2^32-1
        let three = PackHeader(entries: [entry, entry, entry]).encoded()
        let error = try #require(throws: RepositoryError.self) { try PackHeader(decoding: three, pack: .zero) }
        #expect(error.message.contains("past 4 GiB"))
    }

    // MARK: Trees

    @Test("a tree node of size 2^64-1 is damage, not a number to add up")
    func impossibleSize() throws {
        var node = TreeNode(name: Array("huge".utf8), type: .file)
        node.size = .max
        let bytes = try Tree(nodes: [node]).encoded()
        let error = try #require(throws: RepositoryError.self) { try Tree(decoding: bytes, what: "tree 1234") }
        #expect(error.code == .damaged)
        #expect(error.message.contains("impossible size"))
        node.size = UInt64(Int64.max)
        #expect(try Tree(decoding: try Tree(nodes: [node]).encoded(), what: "tree").nodes[0].size == UInt64(Int64.max))
    }

    @Test("the time-clamped flag survives a round trip; unknown flag bits are kept")
    func clampedFlag() throws {
        var node = TreeNode(name: Array("old".utf8), type: .file)
        node.flags = [.timeClamped, TreeNode.Flags(rawValue: 0x80)]
        node.mtime = .earliest
        let decoded = try Tree(decoding: try Tree(nodes: [node]).encoded(), what: "tree")
        #expect(decoded.nodes[0].flags.contains(.timeClamped))
        #expect(decoded.nodes[0].flags.rawValue == 0x82)
        #expect(decoded.nodes[0].mtime == .earliest)
    }

    // MARK: Snapshots

    static func manifestJSON(time: String = "2026-11-26T17:02:03Z", summary: String? = #"{"filesChanged": 1}"#) -> [UInt8] {
        let tree = String(repeating: "ab", count: 32)
        var text = #"{"version": 1, "time": "\#(time)", "host": "h", "user": "u", "paths": ["/x"], "tags": [], "#
            + #""kind": "full", "tree": "\#(tree)", "incomplete": false, "program": "other 1.0""#
        if let summary { text += #", "summary": \#(summary)"# }
        return Array((text + "}").utf8)
    }

    @Test("a snapshot whose summary lacks filesNew, or has no summary, loads")
    func summaryOptional() throws {
        let partial = try SnapshotManifest(decoding: Self.manifestJSON(), what: "snapshot")
        #expect(partial.summary.filesNew == 0)
        #expect(partial.summary.filesChanged == 1)
        let none = try SnapshotManifest(decoding: Self.manifestJSON(summary: nil), what: "snapshot")
        #expect(none.summary == SnapshotSummary())
        #expect(none.kind == .full)
    }

    @Test("a snapshot missing filesNew loads from a repository, and lists with the others")
    func summaryOptionalInRepository() async throws {
        let test = try await TestRepository(encrypted: true)
        let id = SnapshotID(try await test.repository.saveObject(Self.manifestJSON(), kind: .snapshots))
        let loaded = try await test.repository.loadSnapshot(id)
        #expect(loaded.summary.filesChanged == 1)
        #expect(try await test.repository.snapshots().map(\.id) == [id])
    }

    // MARK: Lengths that claim too much (memory on crafted input)

    /// A plain repository holding one valid data blob of `size` zeros, stored
    /// as a zlib stream (about 1,000 times smaller): what a forged pack
    /// would hold to make a reader inflate far more than it read.
    private func zlibBomb(size: Int) async throws -> (test: TestRepository, id: Digest256, location: BlobLocation) {
        let test = try await TestRepository(encrypted: false)
        let zeros = [UInt8](repeating: 0, count: size)
        let id = test.repository.identifier.id(of: zeros)
        let stored = [BlobCodec.zlib.rawValue] + (try Zlib.compress(zeros, level: 9))
        var pack = PackWriter(cipher: .plain)
        pack.add(type: .data, id: id, rawLength: size) { $0.append(contentsOf: stored) }
        let finished = pack.finish()
        try await test.repository.savePack(finished)
        return (test, id, finished.blobs[0].location)
    }

    @Test("a data blob claiming more than the maximum chunk size is refused before it is read")
    func dataBlobOverChunkSize() async throws {
        let size = 32 << 20  // 4 times the default maximum chunk (8 MiB)
        let (test, id, location) = try await zlibBomb(size: size)
        #expect(location.length < 64 << 10)
        let error = try await #require(throws: RepositoryError.self) { try await test.repository.loadBlob(id, at: location) }
        #expect(error.code == .damaged)
        #expect(error.message.contains("maximum chunk size"))
        // A decoder for data blobs refuses the claim too, before inflating.
        let stored = try await test.storage.get(try ObjectName(kind: .data, name: location.pack.hex), range: 0..<Int64(location.length))
        var decoder = BlobDecoder(cipher: .plain, identifier: .plain, maximumRawLength: test.repository.config.chunker.maxSize)
        #expect(throws: RepositoryError.self) { try decoder.decode(stored, id: id, rawLength: size) }
        // Without that limit the blob is valid: the limit, not damage, refused it.
        var unlimited = BlobDecoder(cipher: .plain, identifier: .plain)
        #expect(try unlimited.decode(stored, id: id, rawLength: size).count == size)
    }

    @Test("a stored blob longer than its plaintext plus codec byte and seal is refused before it is opened")
    func storedLongerThanPlaintext() throws {
        var decoder = BlobDecoder(cipher: .plain, identifier: .plain)
        let plaintext = Array("hello".utf8)
        let id = BlobIdentifier.plain.id(of: plaintext)
        #expect(try decoder.decode([0] + plaintext, id: id, rawLength: 5) == plaintext)
        let error = try #require(throws: RepositoryError.self) { try decoder.decode([0] + plaintext + [0], id: id, rawLength: 5) }
        #expect(error.message.contains("stored bytes"))
        #expect(throws: RepositoryError.self) {
            try BlobSizeLimit.check(
                BlobLocation(pack: .zero, type: .tree, offset: 0, length: 1 << 20, rawLength: 100), id: id, maximumChunkSize: 1 << 20,
                sealingOverhead: 28)
        }
    }

    // MARK: Key files

    @Test("a stray keys/readme is ignored by key listing, lookup and opening")
    func strayKeyFile() async throws {
        let test = try await TestRepository(encrypted: true, password: "pw")
        let stray = test.directory.appending("repo/keys/readme")
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: stray))
        let keys = try await test.repository.keyFiles()
        #expect(keys.count == 1)
        #expect(try await test.repository.keyFileID(openedBy: "pw") == keys[0].id)
        let reopened = try await Repository.open(test.storage) { () throws(RepositoryError) in "pw" }
        #expect(reopened.config == test.repository.config)
    }

    @Test("a key file over 64 KiB is not read: opening skips it, listing reports it as damaged")
    func oversizedKeyFile() async throws {
        let test = try await TestRepository(encrypted: true, password: "pw")
        let bytes = [UInt8](repeating: UInt8(ascii: " "), count: Int(KeyFile.maximumSize) + 1)
        let name = SHA256Hasher.hash(bytes).hex
        try Data(bytes).write(to: URL(fileURLWithPath: test.directory.appending("repo/keys/" + name)))
        let reopened = try await Repository.open(test.storage) { () throws(RepositoryError) in "pw" }
        #expect(reopened.config == test.repository.config)
        let error = try await #require(throws: RepositoryError.self) { try await test.repository.keyFiles() }
        #expect(error.message.contains("more than a key file's"))
    }

    @Test("a plain repository with a stray keys/readme still opens (it is not a key file)")
    func strayKeyFilePlain() async throws {
        let test = try await TestRepository(encrypted: false)
        try FileManager.default.createDirectory(atPath: test.directory.appending("repo/keys"), withIntermediateDirectories: true)
        try Data("notes\n".utf8).write(to: URL(fileURLWithPath: test.directory.appending("repo/keys/readme")))
        let reopened = try await Repository.open(test.storage) { () throws(RepositoryError) in "" }
        #expect(!reopened.config.isEncrypted)
    }
}
