import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultStorage
@testable import VaultRepository

@Suite("Repository")
struct RepositoryTests {
    @Test("an encrypted repository opens with its password and not with another")
    func openWithPassword() async throws {
        let test = try await TestRepository(password: "right")
        let opened = try await Repository.open(test.storage) { "right" }
        #expect(opened.config == test.repository.config)
        #expect(opened.keys == test.repository.keys)
        let error = try await #require(throws: RepositoryError.self) {
            _ = try await Repository.open(test.storage) { "wrong" }
        }
        #expect(error.code == .wrongPassword)
    }

    @Test("a plain repository opens without asking for a password")
    func plainRepository() async throws {
        let test = try await TestRepository(encrypted: false)
        let opened = try await Repository.open(test.storage) { () throws(RepositoryError) in
            throw RepositoryError(.passwordRequired, "asked for a password")
        }
        #expect(!opened.config.isEncrypted)
        #expect(opened.keys == nil)
    }

    @Test("an empty folder is not a repository")
    func notARepository() async throws {
        let directory = try TemporaryDirectory()
        let storage = try LocalDirectoryStorage.create(at: directory.appending("empty"))
        let error = try await #require(throws: RepositoryError.self) { _ = try await Repository.open(storage) { "x" } }
        #expect(error.code == .notARepository)
    }

    @Test("a repository newer than this program is refused before any password is asked")
    func newerFormatRefused() async throws {
        let test = try await TestRepository()
        let path = test.path(of: .config)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"version\":1", with: "\"version\":2")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = try await #require(throws: RepositoryError.self) {
            _ = try await Repository.open(test.storage) { () throws(RepositoryError) in
                throw RepositoryError(.passwordRequired, "asked for a password")
            }
        }
        #expect(error.code == .unsupportedVersion)
        #expect(error.message.contains("version 2"))
    }

    @Test("a config downgraded to 'none' next to key files is refused")
    func downgradeRefused() async throws {
        let test = try await TestRepository()
        let plainConfig = RepositoryConfig(isEncrypted: false).encoded(cipher: .plain)
        try Data(plainConfig).write(to: URL(fileURLWithPath: test.path(of: .config)))
        let error = try await #require(throws: RepositoryError.self) { _ = try await Repository.open(test.storage) { "correct horse" } }
        #expect(error.code == .damaged)
    }

    @Test("keys: add, open with either, remove, and never remove the last")
    func keyManagement() async throws {
        let test = try await TestRepository(password: "first")
        let second = try await test.repository.addKey(password: "second", kdf: testKDF)
        #expect(try await test.repository.keyFiles().count == 2)
        let viaSecond = try await Repository.open(test.storage) { "second" }
        #expect(viaSecond.keys == test.repository.keys)
        let first = try await test.repository.keyFileID(openedBy: "first")
        try await test.repository.removeKey(first)
        await #expect(throws: RepositoryError.self) { _ = try await Repository.open(test.storage) { "first" } }
        let error = try await #require(throws: RepositoryError.self) { try await test.repository.removeKey(second) }
        #expect(error.code == .invalidRequest)
        _ = try await Repository.open(test.storage) { "second" }
    }

    @Test("blobs round trip through packs, index and storage", arguments: [true, false])
    func blobRoundTrip(encrypted: Bool) async throws {
        let test = try await TestRepository(encrypted: encrypted, packSize: 1 << 20)
        var writer = RepositoryWriter(repository: test.repository, index: ChunkIndex())
        let blobs = (0..<40).map { pseudoRandomBytes(count: 50_000 + $0 * 1000, seed: UInt64($0)) }
            + [[UInt8](repeating: 7, count: 300_000), []]
        var ids: [Digest256] = []
        for blob in blobs {
            ids.append(try await writer.add(blob, type: .data).id)
        }
        // A duplicate is not stored twice.
        let again = try await writer.add(blobs[0], type: .data)
        #expect(!again.isNew)
        try await writer.flush()
        #expect(writer.blobsAdded == blobs.count)

        let loaded = try await test.repository.loadIndex()
        #expect(loaded.chunks.count == blobs.count)
        #expect(loaded.packSizes.count >= 2, "a 1 MiB pack size must split 2 MB of random data")
        for (blob, id) in zip(blobs, ids) {
            let location = try #require(loaded.chunks.location(of: .data(id)))
            #expect(try await test.repository.loadBlob(id, at: location) == blob)
        }
        // Every pack header agrees with the index.
        for (pack, size) in loaded.packSizes {
            let header = try await test.repository.loadPackHeader(pack, size: size)
            for (key, location) in header.locations(pack: pack) {
                #expect(loaded.chunks.location(of: key) == location)
            }
        }
        // Compressible data was compressed.
        let zeros = try #require(loaded.chunks.location(of: .data(ids[40])))
        #expect(zeros.length < 10_000)
    }

    @Test("a flipped byte in a pack is caught and named")
    func packTamperDetected() async throws {
        let test = try await TestRepository()
        var writer = RepositoryWriter(repository: test.repository, index: ChunkIndex())
        let blob = pseudoRandomBytes(count: 100_000, seed: 1)
        let id = try await writer.add(blob, type: .data).id
        try await writer.flush()
        let location = try #require(try await test.repository.loadIndex().chunks.location(of: .data(id)))
        try flipByte(at: 5000, ofFileAt: test.path(of: try ObjectName(kind: .data, name: location.pack.hex)))
        let error = try await #require(throws: RepositoryError.self) { _ = try await test.repository.loadBlob(id, at: location) }
        #expect(error.code == .damaged)
        #expect(error.message.contains(id.shortHex))
    }

    @Test("a flipped byte in a pack header is caught and names the pack")
    func packHeaderTamperDetected() async throws {
        let test = try await TestRepository()
        var writer = RepositoryWriter(repository: test.repository, index: ChunkIndex())
        _ = try await writer.add([UInt8](repeating: 1, count: 1000), type: .data)
        try await writer.flush()
        let (pack, size) = try #require(try await test.repository.loadIndex().packSizes.first)
        try flipByte(at: -10, ofFileAt: test.path(of: try ObjectName(kind: .data, name: pack.hex)))
        let error = try await #require(throws: RepositoryError.self) { _ = try await test.repository.loadPackHeader(pack, size: size) }
        #expect(error.message.contains(pack.shortHex))
    }

    @Test("a flipped byte in an index file or a snapshot is caught, named, and left out of the load", arguments: [ObjectKind.index, .snapshots])
    func objectTamperDetected(kind: ObjectKind) async throws {
        let test = try await TestRepository()
        var writer = RepositoryWriter(repository: test.repository, index: ChunkIndex())
        let tree = try await writer.add(try Tree(nodes: []))
        try await writer.flush()
        let snapshot = SnapshotManifest(
            time: .now(), host: "h", user: "u", paths: ["/"], tags: [], kind: .full, parent: nil, base: nil,
            tree: tree, incomplete: false, summary: SnapshotSummary(), program: "test"
        )
        _ = try await test.repository.saveSnapshot(snapshot)
        let name = try #require(try await test.repository.list(kind).first?.name)
        try flipByte(at: 20, ofFileAt: test.path(of: name))
        let error: RepositoryError
        if kind == .index {
            let loaded = try await test.repository.loadIndex()
            // The pack's header stands in for the damaged index file.
            #expect(loaded.packsFromHeaders.count == 1)
            #expect(loaded.chunks.contains(.tree(tree)))
            error = try #require(loaded.damagedFiles.first?.error)
        } else {
            let catalog = try await test.repository.snapshotCatalog()
            #expect(catalog.readable.isEmpty)
            #expect(try await test.repository.snapshots().isEmpty)
            error = try #require(catalog.damaged.first?.error)
        }
        #expect(error.code == .damaged)
        #expect(error.message.contains(name.name))
    }

    @Test("encrypted repositories key the blob IDs and the chunker")
    func keyedIdentifiers() async throws {
        let encrypted = try await TestRepository()
        let plain = try await TestRepository(encrypted: false)
        let data: [UInt8] = Array("hello".utf8)
        #expect(plain.repository.identifier.id(of: data) == SHA256Hasher.hash(data))
        #expect(encrypted.repository.identifier.id(of: data) != SHA256Hasher.hash(data))
        let keys = try #require(encrypted.repository.keys)
        #expect(encrypted.repository.identifier.id(of: data) == HMACSHA256(key: keys.blobID).authenticate(data))
    }
}
