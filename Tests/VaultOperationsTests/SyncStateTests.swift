import Foundation
import Glibc
import Testing
import VaultCodecs
@testable import VaultOperations
import VaultPOSIX
import VaultRepository
import VaultStorage
import VaultTestSupport

/// Syncs through the host's sync state (``SyncShortcut``), counting how
/// often the repository had to be opened (the key derived).
private final class StateSyncer: @unchecked Sendable {
    let fixture: SyncFixture
    let store: SyncStateStore
    private(set) var opened = 0

    /// Syncs the state decided alone, without the repository.
    private(set) var quick = 0

    init(_ fixture: SyncFixture) {
        self.fixture = fixture
        store = SyncStateStore(directory: Array(fixture.directory.appending("cache/vault/sync").utf8))
    }

    @discardableResult
    func sync(_ replica: Int, _ mode: SyncMode = .readWrite) async throws -> SyncResult {
        var options = SyncOptions(name: fixture.set, directory: fixture.folder(replica))
        options.host = "host\(replica)"
        options.mode = mode
        let repository = fixture.repository
        let result = try await Sync.run(storage: repository.storage, options: options, store: store) { _ in
            self.opened += 1
            return repository
        }
        if result.checkedByState { quick += 1 }
        return result
    }

    /// The state file of replica `n`, once one was written.
    func stateFile(_ replica: Int) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(atPath: String(decoding: store.directory, as: UTF8.self))
            .filter { !$0.hasPrefix(".") }
        for file in files {
            let path = String(decoding: store.directory, as: UTF8.self) + "/" + file
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            if let state = SyncState(decoding: bytes), state.identity.host == "host\(replica)" { return path }
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// Two hosts synced with each other, and each again, so that both have a state that names every snapshot.
    static func settled(_ files: [String: String]) async throws -> StateSyncer {
        let syncer = StateSyncer(try await SyncFixture())
        for (path, text) in files { try syncer.fixture.write(0, path, text) }
        try await syncer.sync(0)
        try await syncer.sync(1)
        try await syncer.sync(0)
        try await syncer.sync(1)
        #expect(try syncer.fixture.contents(0) == syncer.fixture.contents(1))
        return syncer
    }
}

/// Sets a file's times back to those of `status` (the status change time moves on regardless).
private func restoreTimes(_ path: String, _ status: stat) {
    var times = [status.st_atim, status.st_mtim]
    #expect(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0)
}

private func status(_ path: String) -> stat {
    var result = stat()
    _ = lstat(path, &result)
    return result
}

@Suite("Sync: the host's sync state")
struct SyncStateTests {
    @Test func nothingChangedIsDecidedWithoutTheRepository() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a", "d/b.txt": "b", "d/e/c.txt": "c"])
        let snapshots = try await syncer.fixture.repository.list(.snapshots).count
        let opened = syncer.opened
        for replica in [0, 1, 0] {
            let result = try await syncer.sync(replica)
            #expect(result.unchanged && result.checkedByState)
            #expect(result.headID != nil)
        }
        #expect(syncer.opened == opened, "the repository (key, index) was not needed")
        #expect(try await syncer.fixture.repository.list(.snapshots).count == snapshots)
    }

    @Test func anotherHostsBaseIsReadButChangesNothing() async throws {
        let syncer = StateSyncer(try await SyncFixture())
        try syncer.fixture.write(0, "a.txt", "a")
        try await syncer.sync(0)
        try await syncer.sync(1)  // adds host1's base: host0's state does not name it
        let opened = syncer.opened
        let result = try await syncer.sync(0)
        #expect(result.unchanged && result.checkedByState)
        #expect(syncer.opened == opened + 1, "the added manifest was read with the key")
        // It recorded the new name: the next check needs no key.
        #expect(try await syncer.sync(0).checkedByState)
        #expect(syncer.opened == opened + 1)
    }

    @Test func unrelatedSnapshotsChangeNothing() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a"])
        let repository = syncer.fixture.repository
        let base = try #require(try await repository.snapshots().last { $0.manifest.sync?.role == .base })
        var backup = base.manifest
        backup.sync = nil
        backup.time = Timestamp.now()
        try await repository.saveSnapshot(backup)
        var otherSet = base.manifest
        otherSet.sync?.set = "other"
        otherSet.sync?.role = .head
        try await repository.saveSnapshot(otherSet)
        var local = base.manifest
        local.sync?.role = .local
        local.time = Timestamp.now()
        try await repository.saveSnapshot(local)
        let result = try await syncer.sync(0)
        #expect(result.unchanged && result.checkedByState)
    }

    @Test func aNewHeadFromTheOtherHostIsReceived() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a", "d/b.txt": "b"])
        try syncer.fixture.write(1, "d/b.txt", "b, edited on host1")
        #expect(try await syncer.sync(1).plan.sent.map(\.description) == ["d/b.txt"])
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState && !result.unchanged)
        #expect(result.plan.received.map(\.description) == ["d/b.txt"])
        #expect(try syncer.fixture.contents(0) == syncer.fixture.contents(1))
        // The receiving host's folder was unchanged: its first scan was skipped, and the next sync is quick again.
        let opened = syncer.opened
        #expect(try await syncer.sync(0).checkedByState)
        #expect(syncer.opened == opened)
        // host0's new base is a name host1's state does not have: read with the key, it changes nothing.
        #expect(try await syncer.sync(1).checkedByState)
        #expect(syncer.opened == opened + 1)
        #expect(try await syncer.sync(1).checkedByState)
        #expect(syncer.opened == opened + 1)
    }

    @Test func aFileRewrittenWithItsOldSizeAndTimesIsStillSent() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "aaaa", "d/b.txt": "bbbb"])
        let path = syncer.fixture.folder(0) + "/d/b.txt"
        let before = status(path)
        try Data("BBBB".utf8).write(to: URL(fileURLWithPath: path))
        restoreTimes(path, before)
        let after = status(path)
        #expect(after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState)
        #expect(result.plan.sent.map(\.description) == ["d/b.txt"])
        try await syncer.sync(1)
        #expect(try syncer.fixture.contents(1)["d/b.txt"] == "BBBB")
    }

    @Test func aMetadataOnlyChangeIsNotSkipped() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a"])
        #expect(chmod(syncer.fixture.folder(0) + "/a.txt", 0o600) == 0)
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState && result.plan.sent.map(\.description) == ["a.txt"])
    }

    @Test func aReplacedFolderIsSyncedInFull() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a", "d/b.txt": "b"])
        let folder = syncer.fixture.folder(0)
        let copy = syncer.fixture.directory.appending("copy")
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        try FileManager.default.removeItem(atPath: folder)
        try FileManager.default.moveItem(atPath: copy, toPath: folder)
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState)
        // Same contents: the full sync sends and receives nothing, and records the new folder.
        #expect(result.plan.sent.isEmpty && result.plan.received.isEmpty && result.plan.conflicts.isEmpty)
        #expect(try syncer.fixture.contents(0) == syncer.fixture.contents(1))
        #expect(try await syncer.sync(0).checkedByState)
    }

    @Test func aRemovedBaseForcesAFullSync() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a"])
        let repository = syncer.fixture.repository
        let base = try #require(try await repository.snapshots().last { $0.manifest.sync?.role == .base && $0.manifest.host == "host0" })
        try await repository.storage.delete(ObjectName(base.id))
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState)
        #expect(try syncer.fixture.contents(0) == ["a.txt": "a"])
    }

    @Test(arguments: ["empty", "truncated", "garbage", "flipped", "hostile", "fifo", "directory", "symlink"])
    func aDamagedStateFileIsIgnored(_ damage: String) async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a", "d/b.txt": "b"])
        let path = try syncer.stateFile(0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try FileManager.default.removeItem(atPath: path)
        switch damage {
        case "empty": bytes = []
        case "truncated": bytes.removeLast(bytes.count / 3)
        case "garbage": bytes = (0..<bytes.count).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        case "flipped": bytes[bytes.count / 2] ^= 0x10
        case "hostile":
            // Well formed up to the snapshot count, which claims four billion, with a valid checksum.
            var body = Array(bytes.dropLast(32))
            let state = try #require(SyncState(decoding: bytes))
            let countOffset = body.count - state.snapshots.keys.reduce(0) { $0 + 1 + 4 + $1.utf8.count } - 4
            body.replaceSubrange(countOffset..<(countOffset + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
            bytes = body + SHA256Hasher.hash(body).bytes
            #expect(SyncState(decoding: bytes) == nil)
        default: break
        }
        switch damage {
        case "fifo": #expect(mkfifo(path, 0o600) == 0)
        case "directory": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        case "symlink": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
        default: try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        // A change on the other host must arrive whatever the state file holds.
        try syncer.fixture.write(1, "a.txt", "a, edited on host1")
        try await syncer.sync(1)
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState)
        #expect(try syncer.fixture.contents(0)["a.txt"] == "a, edited on host1")
    }

    @Test func aStateFromAnotherRepositoryIsIgnored() async throws {
        let first = try await StateSyncer.settled(["a.txt": "a"])
        let second = try await StateSyncer.settled(["a.txt": "a"])
        // The other repository's state, put where this one's is.
        let foreign = try Data(contentsOf: URL(fileURLWithPath: try first.stateFile(0)))
        try foreign.write(to: URL(fileURLWithPath: try second.stateFile(0)))
        try second.fixture.write(1, "a.txt", "edited")
        try await second.sync(1)
        let result = try await second.sync(0)
        #expect(!result.checkedByState)
        #expect(try second.fixture.contents(0)["a.txt"] == "edited")
        // Decoded, it names the other repository, so the store does not return it.
        let state = try #require(SyncState(decoding: [UInt8](foreign)))
        var identity = state.identity
        identity.location = second.fixture.repository.storage.location
        #expect(second.store.read(identity) == nil)
    }

    @Test func aWriteCutShortLeavesTheOldStateOrNone() async throws {
        let syncer = try await StateSyncer.settled(["a.txt": "a"])
        let path = try syncer.stateFile(0)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        // A writer killed before its rename leaves its temporary file: never read, replaced by the next write.
        let name = URL(fileURLWithPath: path).lastPathComponent
        let temporary = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("." + name + ".tmp")
        try good.prefix(good.count / 2).write(to: temporary)
        #expect(try await syncer.sync(0).checkedByState)
        try syncer.fixture.write(0, "b.txt", "b")
        #expect(try await syncer.sync(0).plan.sent.map(\.description) == ["b.txt"])
        #expect(!FileManager.default.fileExists(atPath: temporary.path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != good)
        #expect(try await syncer.sync(0).checkedByState)
    }

    @Test func statesRoundTripAndRejectEveryTruncation() throws {
        let identity = SyncStateIdentity(location: "/r", config: SHA256Hasher.hash([1]), set: "s", host: "h", folder: Array("/f".utf8))
        let state = SyncState(
            identity: identity, base: SnapshotID(SHA256Hasher.hash([2])), head: SnapshotID(SHA256Hasher.hash([3])),
            snapshots: ["aa": true, "bb": false], folder: SyncFolderListing(digest: SHA256Hasher.hash([4]), entries: 7)
        )
        let bytes = state.encoded()
        #expect(SyncState(decoding: bytes) == state)
        for length in 0..<bytes.count {
            #expect(SyncState(decoding: Array(bytes.prefix(length))) == nil)
        }
        #expect(SyncState(decoding: bytes + [0]) == nil)
    }

    @Test func listingsSeeEveryKindOfChange() throws {
        let directory = try BackupTemporaryDirectory()
        let root = directory.appending("f")
        try FileManager.default.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/d/x"))
        let folder = Array(root.utf8)
        let first = try SyncFolderListing.read(folder)
        #expect(first.entries == 3)
        #expect(try SyncFolderListing.read(folder) == first)
        var previous = first
        func expectChanged(_ change: () throws -> Void) throws {
            try change()
            let next = try SyncFolderListing.read(folder)
            #expect(next != previous)
            previous = next
        }
        try expectChanged { try FileManager.default.createDirectory(atPath: root + "/e", withIntermediateDirectories: false) }
        try expectChanged { try FileManager.default.createSymbolicLink(atPath: root + "/e/l", withDestinationPath: "x") }
        try expectChanged { #expect(chmod(root + "/d/x", 0o640) == 0) }
        let file = try FileDescriptor.open(FilePath(root + "/d/x"), .readOnly)
        defer { try? file.close() }
        if (try? file.setExtendedAttribute(Array("user.vault-test".utf8), value: [1])) != nil {  // where the file system has them
            let next = try SyncFolderListing.read(folder)
            #expect(next != previous)
            previous = next
        }
        try expectChanged {
            let before = status(root + "/d/x")
            try Data("y".utf8).write(to: URL(fileURLWithPath: root + "/d/x"))
            restoreTimes(root + "/d/x", before)
        }
        try expectChanged { try FileManager.default.moveItem(atPath: root + "/d/x", toPath: root + "/e/x") }
        // A symlink in the folder's place is not followed.
        try FileManager.default.moveItem(atPath: root, toPath: root + "-real")
        try FileManager.default.createSymbolicLink(atPath: root, withDestinationPath: root + "-real")
        #expect(throws: SystemError.self) { try SyncFolderListing.read(folder) }
    }

    /// The no-lost-update property test (`SyncPropertyTests`), every sync going through the state.
    @Test(arguments: SyncPropertyTests.seeds)
    func threeReplicasSyncingThroughTheirStatesLoseNothing(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let syncer = StateSyncer(try await SyncFixture(replicas: 3))
        let fixture = syncer.fixture
        var version = 0
        var versionsAtSyncPoints: Set<String> = []
        let names = ["a", "b", "c", "d/e", "d/f", "g/h/i"]
        func newText() -> String {
            version += 1
            return "v\(version):" + String(repeating: ".", count: version)
        }
        for _ in 0..<SyncPropertyTests.operations {
            let replica = Int(random.next() % 3)
            let name = names[Int(random.next() % UInt64(names.count))]
            let path = fixture.folder(replica) + "/" + name
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            switch random.next() % 9 {
            case 0, 1:
                if isDirectory.boolValue { continue }
                if !exists, (try? fixture.write(replica, name, newText())) == nil { continue }
                if exists { try fixture.write(replica, name, newText()) }
            case 2:
                if exists { try fixture.remove(replica, name) }
            case 3:
                try? fixture.makeDirectory(replica, "m\(random.next() % 3)")
            default:  // sync, more often than in the plain test, so that unchanged syncs happen
                for text in try fixture.contents(replica).values where text != "/" && !text.hasPrefix("->") {
                    versionsAtSyncPoints.insert(text)
                }
                try await syncer.sync(replica)
            }
        }
        for replica in [0, 1, 2] {
            for text in try fixture.contents(replica).values where text != "/" { versionsAtSyncPoints.insert(text) }
        }
        for _ in 0..<2 {
            for replica in [0, 1, 2] { try await syncer.sync(replica) }
        }
        let final = try fixture.contents(0)
        #expect(try fixture.contents(1) == final, "seed \(seed)")
        #expect(try fixture.contents(2) == final, "seed \(seed)")
        let present = Set(final.values)
        let history = try await fixture.historyTexts()
        let lost = versionsAtSyncPoints.filter { !present.contains($0) && !history.contains($0) }
        #expect(lost.isEmpty, "seed \(seed): lost \(lost.sorted())")
        for replica in [0, 1, 2] {
            #expect(try await syncer.sync(replica).unchanged, "seed \(seed), replica \(replica)")
        }
        #expect(syncer.quick > 0, "the state decided some syncs")
    }
}
