import Foundation
import Testing
import VaultOperations
import VaultRepository
import VaultStorage

/// Wraps a real storage and makes every `delete` fail: a drive that lets
/// files be written but not removed (an immutable attribute, a quirky NAS).
private struct UndeletableStorage: Storage {
    let base: any Storage

    var location: String { base.location }
    func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) { try await base.put(bytes, as: name) }
    func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] { try await base.get(name) }
    func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] { try await base.get(name, range: range) }
    func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo { try await base.stat(name) }
    var capabilities: StorageCapabilities { base.capabilities }
    func list(_ kind: ObjectKind) -> ObjectListing { base.list(kind) }
    func delete(_ name: ObjectName) async throws(StorageError) {
        guard name.kind == .locks else {
            throw StorageError(.permissionDenied, name: name, message: "injected failure removing \(name)")
        }
        try await base.delete(name)
    }
}

@Suite("Mirror: locks, replacing differing and damaged objects")
struct MirrorLockAndReplaceTests {
    /// The path of a mirror object in the local layout.
    static func path(of name: ObjectName, in root: String) -> String {
        name.kind == .data ? "\(root)/data/\(name.name.prefix(2))/\(name.name)" : "\(root)/\(name.kind.rawValue)/\(name.name)"
    }

    @Test("a differing mirror object whose removal fails is reported, not counted as copied or replaced")
    func failedRemovalIsNotACopy() async throws {
        let setup = try await MirrorTests.Setup()
        _ = try await setup.mirror()
        let pack = try #require(try await setup.fixture.repository.list(.data).first?.name)
        // The mirror's copy differs (a different size), so the mirror wants to replace it.
        let path = Self.path(of: pack, in: setup.destinationPath)
        try (try Data(contentsOf: URL(fileURLWithPath: path)) + Data([0])).write(to: URL(fileURLWithPath: path))

        let summary = try await setup.mirror(to: UndeletableStorage(base: try setup.destination()))
        #expect(summary.totalCopied == 0)
        #expect(summary.replaced.isEmpty)
        #expect(summary.notReplaced.keys.sorted() == [pack])
        #expect(summary.notReplaced[pack]?.contains("injected failure removing") == true)

        // With a storage that can remove, the next run replaces it.
        let healed = try await setup.mirror()
        #expect(healed.replaced == [pack])
        #expect(healed.copied[.data] == 1)
        #expect(try await objectDigests(setup.destination()) == objectDigests(setup.fixture.repository.storage))
    }

    @Test("replace puts back damaged mirror objects from the source, checked by name")
    func replaceDamaged() async throws {
        let setup = try await MirrorTests.Setup()
        _ = try await setup.mirror()
        let pack = try #require(try await setup.fixture.repository.list(.data).first?.name)
        let path = Self.path(of: pack, in: setup.destinationPath)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        // Same size: a plain mirror does not notice.
        #expect(try await setup.mirror().totalCopied == 0)

        let mirrored = try await Repository.open(try setup.destination()) { "pw" }
        let report = try await RepositoryVerifier(repository: mirrored, readData: .all).run()
        #expect(report.hasDamage)
        let damaged = RepositoryMirror.damagedObjects(in: report)
        #expect(Set(damaged) == [pack])
        let mirror = RepositoryMirror(source: setup.fixture.repository, destination: try await setup.destination())
        let outcome = try await mirror.replace(damaged)
        #expect(outcome.replaced == [pack])
        #expect(outcome.failed.isEmpty)
        #expect(try await RepositoryVerifier(repository: mirrored, readData: .all).run().hasDamage == false)
        #expect(try await objectDigests(setup.destination()) == objectDigests(setup.fixture.repository.storage))

        // An object the source does not have cannot be replaced.
        let stranger = try ObjectName(kind: .snapshots, name: String(repeating: "0", count: 64))
        let missing = try await mirror.replace([stranger])
        #expect(missing.failed[stranger] == "the source does not have it")
    }

    @Test("mirror holds a shared lock on the source and on the destination; an exclusive one there with --delete; none there in a dry run")
    func locks() async throws {
        let setup = try await MirrorTests.Setup()
        _ = try await setup.mirror()
        let source = setup.fixture.repository
        let destination = try await Repository.open(try setup.destination()) { "pw" }

        // An exclusive lock on the source stops the mirror.
        let sourceExclusive = try await RepositoryLock.acquire(source, exclusive: true)
        let refused = try await #require(throws: RepositoryError.self) { _ = try await setup.mirror() }
        #expect(refused.code == .locked)
        try await sourceExclusive.release()

        // A shared lock on the destination: copying goes on, deleting does not.
        let destinationShared = try await RepositoryLock.acquire(destination, exclusive: false)
        _ = try await setup.mirror()
        var deleting = RepositoryMirror.Options()
        deleting.delete = true
        let blocked = try await #require(throws: RepositoryError.self) { _ = try await setup.mirror(deleting) }
        #expect(blocked.code == .locked)
        try await destinationShared.release()

        // An exclusive lock on the destination stops copying, but not a dry run, which writes nothing there.
        let destinationExclusive = try await RepositoryLock.acquire(destination, exclusive: true)
        await #expect(throws: RepositoryError.self) { _ = try await setup.mirror() }
        var dryRun = RepositoryMirror.Options()
        dryRun.dryRun = true
        _ = try await setup.mirror(dryRun)
        try await destinationExclusive.release()

        _ = try await setup.mirror(deleting)
        #expect(try await source.list(.locks).isEmpty)
        #expect(try await destination.list(.locks).isEmpty)
    }
}
