import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage
import VaultStorageTesting

/// The no-change check a mirror makes before it derives the key
/// (``RepositoryMirror/unchangedSummary(source:destination:)``): it may
/// say "nothing to do" only when a full run would copy and remove nothing
/// and no lock is held on either side.
@Suite("Mirror no-change check")
struct MirrorNoChangeCheckTests {
    /// A complete mirror, and the storages of both sides.
    struct Complete {
        let setup: MirrorTests.Setup
        let source: any Storage
        let destination: any Storage
        let objects: Int

        init() async throws {
            setup = try await MirrorTests.Setup()
            _ = try await setup.mirror()
            source = setup.fixture.repository.storage
            destination = try await setup.destination()
            objects = try await setup.mirror().unchanged
        }

        var check: RepositoryMirror.Summary? {
            get async { await RepositoryMirror.unchangedSummary(source: source, destination: destination) }
        }

        /// Some object of a kind in the destination.
        func anyObject(_ kind: ObjectKind, in storage: any Storage) async throws -> ObjectName {
            try #require(try await storage.listAll(kind).first).name
        }
    }

    @Test("a complete mirror is unchanged: the same count a full run reports, and nothing written on either side")
    func completeMirrorIsUnchanged() async throws {
        let complete = try await Complete()
        let before = try await (objectDigests(complete.source), objectDigests(complete.destination))
        let summary = try #require(await complete.check)
        #expect(summary.unchanged == complete.objects)
        #expect(summary.totalCopied == 0 && summary.totalDeleted == 0 && summary.totalExtra == 0)
        #expect(try await objectDigests(complete.source) == before.0)
        #expect(try await objectDigests(complete.destination) == before.1)
        #expect(try await complete.source.listAll(.locks).isEmpty)
        #expect(try await complete.destination.listAll(.locks).isEmpty)
    }

    @Test("a new snapshot, a missing, extra or resized object of any kind, or a differing config means a full run", arguments: [
        "new backup", "pack missing", "index missing", "snapshot missing", "key missing", "pack resized", "key resized",
        "extra pack", "extra snapshot", "config differs", "config missing",
    ])
    func anyDifferenceMeansAFullRun(change: String) async throws {
        let complete = try await Complete()
        let source = complete.source
        let destination = complete.destination
        switch change {
        case "new backup":
            try complete.setup.fixture.write("c.bin", pseudoRandomBytes(count: 1 << 20, seed: 9))
            _ = try await complete.setup.fixture.backup()
        case "pack missing": try await destination.delete(complete.anyObject(.data, in: destination))
        case "index missing": try await destination.delete(complete.anyObject(.index, in: destination))
        case "snapshot missing": try await destination.delete(complete.anyObject(.snapshots, in: destination))
        case "key missing": try await destination.delete(complete.anyObject(.keys, in: destination))
        case "pack resized", "key resized":
            let name = try await complete.anyObject(change == "pack resized" ? .data : .keys, in: destination)
            let bytes = try await destination.get(name)
            try await destination.delete(name)
            try await destination.put(bytes + [0], as: name)
        case "extra pack", "extra snapshot":
            let bytes = Array("not an object of the source".utf8)
            let name = try ObjectName(kind: change == "extra pack" ? .data : .snapshots, name: SHA256Hasher.hash(bytes).hex)
            try await destination.put(bytes, as: name)
        case "config differs", "config missing":
            let config = try await destination.get(.config)
            try await destination.delete(.config)
            if change == "config differs" {
                var changed = config
                changed[changed.count - 1] ^= 1
                try await destination.put(changed, as: .config)
            }
        default:
            Issue.record("unknown change \(change)")
        }
        #expect(await complete.check == nil)
        // The full run then finds something to do (or refuses the extra snapshot, or the other repository).
        let full = try? await complete.setup.mirror()
        #expect(full.map { $0.totalCopied + $0.totalExtra + $0.replaced.count > 0 } ?? true)
    }

    @Test("a lock on either side, of any kind and even unreadable, means a full run (which reports a conflicting one)", arguments: [
        "source shared", "source exclusive", "destination shared", "destination exclusive", "source unreadable", "destination unreadable",
    ])
    func anyLockMeansAFullRun(lock: String) async throws {
        let complete = try await Complete()
        let onSource = lock.hasPrefix("source")
        let storage = onSource ? complete.source : complete.destination
        var held: RepositoryLock?
        if lock.hasSuffix("unreadable") {
            let bytes = Array("garbage".utf8)
            try await storage.put(bytes, as: try ObjectName(kind: .locks, name: SHA256Hasher.hash(bytes).hex))
        } else {
            let repository = onSource ? complete.setup.fixture.repository : try await Repository.open(storage) { "pw" }
            held = try await RepositoryLock.acquire(repository, exclusive: lock.hasSuffix("exclusive"))
        }
        #expect(await complete.check == nil)
        if lock.hasSuffix("exclusive") {
            let refused = try await #require(throws: RepositoryError.self) { _ = try await complete.setup.mirror() }
            #expect(refused.code == .locked)
        }
        try await held?.release()
    }

    @Test("storage whose listings may lag, or that fails to list, means a full run")
    func laggingOrFailingStorageMeansAFullRun() async throws {
        let complete = try await Complete()
        let lagging = MemoryStorage(
            capabilities: StorageCapabilities(preferredConcurrency: 8, putRefusesToReplace: true, listingIsImmediatelyConsistent: false)
        )
        _ = try await RepositoryMirror(source: complete.setup.fixture.repository, destination: lagging).run()
        #expect(await RepositoryMirror.unchangedSummary(source: complete.source, destination: lagging) == nil)

        let faults = StorageFaults()
        let failing = FaultyStorage(complete.destination, faults: faults)
        #expect(await RepositoryMirror.unchangedSummary(source: complete.source, destination: failing) != nil)
        faults.fail([.list], from: 1, with: StorageError(.io, name: nil, message: "injected: listing failed"))
        #expect(await RepositoryMirror.unchangedSummary(source: complete.source, destination: failing) == nil)
    }
}
