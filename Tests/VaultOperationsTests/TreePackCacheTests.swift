import Foundation
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage
import VaultStorageTesting
import VaultTestSupport

/// On storage that prefers large reads, trees come from whole tree packs
/// read once (``TreePackCache``), and what is read is checked exactly as a
/// ranged read of each blob would be.
@Suite("Tree pack cache")
struct TreePackCacheTests {
    /// A backup of 40 folders with a small file each: 41 trees in one tree pack.
    struct Setup {
        let fixture: BackupFixture
        let snapshot: SnapshotManifest
        let index: ChunkIndex

        init() async throws {
            fixture = try await BackupFixture()
            for folder in 0..<40 {
                try fixture.write("d\(folder)/f.txt", "file \(folder)")
            }
            snapshot = try await fixture.repository.loadSnapshot(try await fixture.backup(.full).snapshotID)
            index = try await fixture.repository.loadIndex().chunks
        }

        /// The repository opened through a wrapper that claims an object
        /// store's read size and counts calls.
        func objectStoreRepository(_ faults: StorageFaults = StorageFaults()) async throws -> Repository {
            let base = fixture.repository.storage
            let capabilities = StorageCapabilities(
                preferredConcurrency: 8, putRefusesToReplace: false, listingIsImmediatelyConsistent: false, preferredReadSize: 4 << 20)
            return try await Repository.open(FaultyStorage(base, faults: faults, capabilities: capabilities)) { "pw" }
        }

        /// Every tree of the snapshot, by ID, walking from its root.
        func trees(in repository: Repository) async throws -> [Digest256: Tree] {
            var found: [Digest256: Tree] = [:]
            var pending = [snapshot.tree]
            while let id = pending.popLast() {
                let tree = try await repository.loadTree(id, index: index)
                found[id] = tree
                pending += tree.nodes.compactMap(\.subtree)
            }
            return found
        }

        /// The tree packs, from the index.
        var treePacks: Set<PackID> {
            Set(index.compactMap { $0.key.type == .tree ? $0.location.pack : nil })
        }
    }

    @Test("every tree of a snapshot comes from one whole read of its pack, and equals a ranged read")
    func wholePackServesEveryTree() async throws {
        let setup = try await Setup()
        let expected = try await setup.trees(in: setup.fixture.repository)
        #expect(expected.count >= 42, "the source, its 40 folders and the path above it")
        let faults = StorageFaults()
        let repository = try await setup.objectStoreRepository(faults)
        let before = (get: faults.count(.get), range: faults.count(.getRange))
        let trees = try await setup.trees(in: repository)
        #expect(trees.count == expected.count)
        for (id, tree) in expected {
            #expect(trees[id]?.encoded() == tree.encoded())
        }
        #expect(faults.count(.get) - before.get == setup.treePacks.count, "one whole read a tree pack")
        #expect(faults.count(.getRange) - before.range == 0, "no ranged read of single trees")
    }

    @Test("loads of trees in one pack that arrive together wait for one read")
    func concurrentLoadsShareOneRead() async throws {
        let setup = try await Setup()
        let ids = Array(try await setup.trees(in: setup.fixture.repository).keys)
        let faults = StorageFaults()
        faults.delay(.milliseconds(20))  // keep the first read in flight while the others arrive
        let repository = try await setup.objectStoreRepository(faults)
        let before = faults.count(.get)
        let index = setup.index
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { _ = try await repository.loadTree(id, index: index) }
            }
            try await group.waitForAll()
        }
        #expect(faults.count(.get) - before == setup.treePacks.count)
    }

    @Test("a pack that cannot be read whole: each tree is read on its own, and an error is reported as before")
    func failedWholeReadFallsBack() async throws {
        let setup = try await Setup()
        let expected = try await setup.trees(in: setup.fixture.repository)
        let faults = StorageFaults()
        let repository = try await setup.objectStoreRepository(faults)
        faults.fail([.get], from: faults.count(.get) + 1, with: StorageError(.io, name: nil, message: "injected failure"))
        let trees = try await setup.trees(in: repository)
        #expect(trees.count == expected.count)
        #expect(faults.count(.getRange) >= expected.count, "every tree read with a range")

        // And when the ranged read fails too, its error comes out.
        let failing = StorageFaults()
        let broken = try await setup.objectStoreRepository(failing)
        failing.fail([.get, .getRange], from: failing.count(.get) + failing.count(.getRange) + 1, with: StorageError(.io, name: nil, message: "injected failure"))
        await #expect(throws: RepositoryError.self) {
            _ = try await broken.loadTree(setup.snapshot.tree, index: setup.index)
        }
    }

    @Test("a damaged tree in a cached pack is refused like a ranged read refuses it; its neighbours still load")
    func damagedTreeInCachedPack() async throws {
        let setup = try await Setup()
        let expected = try await setup.trees(in: setup.fixture.repository)
        // Damage one tree that is not the root: a byte in the middle of its stored bytes.
        let (victim, location) = try #require(
            expected.keys.lazy.filter { $0 != setup.snapshot.tree }.compactMap { id in setup.index.location(of: .tree(id)).map { (id, $0) } }.first)
        let packPath = setup.fixture.directory.appending("repo/data/\(String(location.pack.hex.prefix(2)))/\(location.pack.hex)")
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: packPath)))
        bytes[Int(location.offset) + Int(location.length) / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: packPath))

        let ranged = setup.fixture.repository
        let cached = try await setup.objectStoreRepository()
        for repository in [ranged, cached] {
            do {
                _ = try await repository.loadTree(victim, index: setup.index)
                Issue.record("a damaged tree loaded")
            } catch let error as RepositoryError {
                #expect(error.code == .damaged, "\(error)")
            }
            for id in expected.keys where id != victim {
                #expect(try await repository.loadTree(id, index: setup.index).encoded() == expected[id]?.encoded())
            }
        }
    }
}
