import Foundation
import Testing
import VaultCodecs
@testable import VaultOperations
import VaultPOSIX
import VaultRepository
import VaultStorage
import VaultTestSupport

private func conflictCopies(_ contents: [String: String]) -> [String: String] {
    contents.filter { $0.key.contains(" (conflict ") }
}

@Suite("Sync: two hosts through one repository")
struct SyncTests {
    /// Both folders hold `files`, synced once.
    private func start(_ files: [String: String]) async throws -> SyncFixture {
        let fixture = try await SyncFixture()
        for (path, text) in files { try fixture.write(0, path, text) }
        try await fixture.sync(0)
        try await fixture.sync(1)
        #expect(try fixture.contents(1) == fixture.contents(0))
        return fixture
    }

    /// Syncs A, B, A: afterwards both hold the same.
    private func converge(_ fixture: SyncFixture) async throws -> (SyncResult, SyncResult) {
        let first = try await fixture.sync(0)
        let second = try await fixture.sync(1)
        try await fixture.sync(0)
        #expect(try fixture.contents(0) == fixture.contents(1))
        return (first, second)
    }

    @Test func editDifferentFiles() async throws {
        let fixture = try await start(["a": "a", "b": "b"])
        try fixture.write(0, "a", "a from A")
        try fixture.write(1, "b", "b from B")
        let (_, second) = try await converge(fixture)
        #expect(second.plan.conflicts.isEmpty)
        #expect(try fixture.contents(0) == ["a": "a from A", "b": "b from B"])
    }

    @Test func sameFileEditedDifferentlyKeepsBoth() async throws {
        let fixture = try await start(["notes.txt": "v0"])
        try fixture.write(0, "notes.txt", "from A")
        try fixture.write(1, "notes.txt", "from B, longer")
        let (_, second) = try await converge(fixture)
        #expect(second.plan.conflicts.count == 1)
        let contents = try fixture.contents(1)
        #expect(contents["notes.txt"] == "from A")
        #expect(Array(conflictCopies(contents).values) == ["from B, longer"])
        #expect(conflictCopies(contents).keys.first?.hasPrefix("notes (conflict host1 ") == true)
        #expect(conflictCopies(contents).keys.first?.hasSuffix(").txt") == true)
    }

    @Test func sameEditOnBothSidesIsNoConflict() async throws {
        let fixture = try await start(["a": "v0"])
        try fixture.write(0, "a", "same")
        try fixture.write(1, "a", "same")
        let (_, second) = try await converge(fixture)
        #expect(second.plan.conflicts.isEmpty)
        #expect(try fixture.contents(1) == ["a": "same"])
    }

    @Test func deleteAgainstEditKeepsTheEdit() async throws {
        let fixture = try await start(["a": "v0", "b": "v0"])
        try fixture.remove(0, "a")
        try fixture.write(1, "a", "edited")
        try fixture.write(0, "b", "edited")
        try fixture.remove(1, "b")
        let (_, second) = try await converge(fixture)
        #expect(second.plan.conflicts.isEmpty)
        #expect(try fixture.contents(0) == ["a": "edited", "b": "edited"])
    }

    @Test func renameOnOneSideEditOnTheOther() async throws {
        let fixture = try await start(["old.txt": "v0"])
        try fixture.move(0, "old.txt", "new.txt")
        try fixture.write(1, "old.txt", "edited")
        _ = try await converge(fixture)
        #expect(try fixture.contents(1) == ["old.txt": "edited", "new.txt": "v0"])
    }

    @Test func directoryAgainstFile() async throws {
        let fixture = try await start([:])
        try fixture.write(0, "d/inside", "in A's folder")
        try fixture.write(1, "d", "B's file")
        _ = try await converge(fixture)
        let contents = try fixture.contents(0)
        #expect(contents["d/inside"] == "in A's folder")
        #expect(Array(conflictCopies(contents).values) == ["B's file"])
    }

    @Test func emptyFoldersSyncAndTheirDeletionToo() async throws {
        let fixture = try await start([:])
        try fixture.makeDirectory(0, "empty/deeper")
        _ = try await converge(fixture)
        #expect(try fixture.contents(1) == ["empty": "/", "empty/deeper": "/"])
        try fixture.remove(1, "empty")
        _ = try await converge(fixture)
        #expect(try fixture.contents(0) == [:])
    }

    @Test func symlinksAreSyncedNotFollowed() async throws {
        let fixture = try await start(["a": "a"])
        try fixture.symlink(0, "link", "/etc/passwd")
        try fixture.symlink(0, "out", "..")
        _ = try await converge(fixture)
        #expect(try fixture.contents(1) == ["a": "a", "link": "->/etc/passwd", "out": "->.."])
        // A change below a symlinked folder would land outside: the symlink is replaced, never written through.
        try fixture.remove(1, "out")
        try fixture.makeDirectory(1, "out")
        try fixture.write(1, "out/x", "inside")
        _ = try await converge(fixture)
        #expect(try fixture.contents(0)["out/x"] == "inside")
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("x")))
    }

    @Test func modeOnlyChangeTravels() async throws {
        let fixture = try await start(["run.sh": "echo"])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.folder(0) + "/run.sh")
        _ = try await converge(fixture)
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.folder(1) + "/run.sh")[.posixPermissions] as? Int
        #expect(mode == 0o755)
    }

    @Test func noChangeSyncWritesNothing() async throws {
        let fixture = try await start(["a": "a", "d/b": "b"])
        try await fixture.sync(0)
        let before = try await fixture.repository.snapshots().count
        let result = try await fixture.sync(0)
        #expect(result.unchanged)
        #expect(try await fixture.repository.snapshots().count == before)
    }

    @Test func dryRunChangesNothing() async throws {
        let fixture = try await start(["a": "a"])
        try fixture.write(0, "a", "changed")
        try fixture.write(1, "b", "new")
        let before = try await fixture.repository.snapshots().count
        let result = try await fixture.sync(1, dryRun: true)
        #expect(result.plan.sent == [SyncPath("b")])
        #expect(try await fixture.repository.snapshots().count == before)
        #expect(try fixture.contents(1) == ["a": "a", "b": "new"])
    }

    @Test func pullLeavesLocalEditsAlone() async throws {
        let fixture = try await start(["a": "a", "b": "b"])
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        try fixture.write(1, "b", "B's edit")
        let result = try await fixture.sync(1, .pull)
        #expect(result.plan.leftAlone == [SyncPath("b")])
        #expect(!result.wroteHead)
        #expect(try fixture.contents(1) == ["a": "A's edit", "b": "B's edit"])
        // A later read-write sync sends B's edit.
        _ = try await converge(fixture)
        #expect(try fixture.contents(0) == ["a": "A's edit", "b": "B's edit"])
    }

    @Test func pullThenConflictingEditIsStillAConflict() async throws {
        let fixture = try await start(["a": "a"])
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        try fixture.write(1, "a", "B's edit")
        try await fixture.sync(1, .pull)
        let result = try await fixture.sync(1)
        #expect(result.plan.conflicts.count == 1)
        let values = Set(try fixture.contents(1).values)
        #expect(values == ["A's edit", "B's edit"])
    }

    @Test func pullReplaceSavesLocalEditsFirst() async throws {
        let fixture = try await start(["a": "a"])
        try fixture.write(1, "a", "B's edit")
        try fixture.write(1, "n", "B's new file")
        let result = try await fixture.sync(1, .replace)
        #expect(result.localSnapshotID != nil)
        #expect(try fixture.contents(1) == ["a": "a"])
        let history = try await fixture.historyTexts()
        #expect(history.contains("B's edit") && history.contains("B's new file"))
    }

    @Test func preferRemoteKeepsTheLosingVersionInHistory() async throws {
        let fixture = try await start(["a": "a"])
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        try fixture.write(1, "a", "B's edit")
        let result = try await fixture.sync(1, .prefer(.remote))
        #expect(result.plan.conflicts.count == 1)
        #expect(try fixture.contents(1) == ["a": "A's edit"])
        #expect(try await fixture.historyTexts().contains("B's edit"))
    }

    @Test func pushMakesTheHeadTheFolder() async throws {
        let fixture = try await start(["a": "a", "b": "b"])
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        try fixture.remove(1, "b")
        try await fixture.sync(1, .push)
        #expect(try fixture.contents(1) == ["a": "a"])
        try await fixture.sync(0)
        #expect(try fixture.contents(0) == ["a": "a"])
    }

    @Test func lostBaseKeepsBothVersions() async throws {
        let fixture = try await start(["a": "a", "b": "b"])
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        try fixture.write(1, "a", "B's edit")
        try fixture.remove(1, "b")
        // Host 1 reinstalled under a new name: no base.
        var options = SyncOptions(name: fixture.set, directory: fixture.folder(1))
        options.host = "reinstalled"
        let result = try await Sync(repository: fixture.repository, options: options).run()
        #expect(result.plan.conflicts.count == 1)
        let contents = try fixture.contents(1)
        #expect(contents["b"] == "b")
        #expect(Set(contents.values) == ["A's edit", "B's edit", "b"])
    }

    @Test func protectedSnapshotsAreHeadsAndBases() async throws {
        let fixture = try await start(["a": "a"])
        let snapshots = try await fixture.repository.snapshots()
        let protected = SyncSetState.protectedSnapshots(snapshots)
        let state0 = SyncSetState(fixture.set, snapshots: snapshots, host: "host0")
        let state1 = SyncSetState(fixture.set, snapshots: snapshots, host: "host1")
        let expected = Set([state0.head?.id, state0.base?.id, state1.base?.id].compactMap { $0 })
        #expect(protected == expected)
        #expect(protected.count == 3)
    }

    @Test func syncSnapshotsRestoreAndOlderReadersIgnoreTheField() async throws {
        let fixture = try await start(["a": "a"])
        let (_, manifest) = try #require(try await fixture.repository.snapshots().last)
        #expect(manifest.sync?.set == fixture.set)
        // Without the `sync` object (an older reader's view), the manifest still decodes.
        var plain = manifest
        plain.sync = nil
        let decoded = try SnapshotManifest(decoding: manifest.encoded(), what: "test")
        #expect(decoded == manifest)
        #expect(try SnapshotManifest(decoding: plain.encoded(), what: "test").sync == nil)
        let text = String(decoding: manifest.encoded(), as: UTF8.self)
        #expect(text.contains("\"sync\""))
        // An unknown role from a newer vault reads as `local`.
        let newer = text.replacingOccurrences(of: "\"role\":\"base\"", with: "\"role\":\"mirror\"")
            .replacingOccurrences(of: "\"role\":\"head\"", with: "\"role\":\"mirror\"")
        #expect(try SnapshotManifest(decoding: Array(newer.utf8), what: "test").sync?.role == .local)
    }
}

@Suite("Sync: applying changes safely")
struct SyncApplyTests {
    @Test func fileChangedBetweenScanAndApplyIsNeverOverwritten() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, "a", "v0")
        try await fixture.sync(0)
        try await fixture.sync(1)
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        // Host 1 plans against its scan, then the file changes before the apply.
        let planned = try await fixture.sync(1, dryRun: true)
        #expect(planned.plan.received == [SyncPath("a")])
        let index = try await fixture.repository.loadIndex().chunks
        try fixture.write(1, "a", "B's late edit")
        var applier = SyncApplier(root: FilePath(fixture.folder(1)), repository: fixture.repository, index: index, interrupt: InterruptFlag())
        let skipped = try await applier.apply(planned.plan.actions)
        #expect(skipped.map(\.path) == [SyncPath("a")])
        #expect(try fixture.contents(1) == ["a": "B's late edit"])
    }

    @Test func failedApplyIsRetriedNextTime() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, "a", "v0")
        try await fixture.sync(0)
        try await fixture.sync(1)
        try fixture.write(0, "a", "A's edit")
        try await fixture.sync(0)
        // Make host 1's apply fail for `a`: a directory where the file's temporary file would go is not enough,
        // so make the folder read-only for the duration of the apply.
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: fixture.folder(1))
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.folder(1)) }
        guard getuid() != 0 else { return }  // root writes anyway
        let result = try await fixture.sync(1)
        #expect(result.skipped.map(\.path) == [SyncPath("a")])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.folder(1))
        let next = try await fixture.sync(1)
        #expect(next.plan.conflicts.isEmpty)
        #expect(try fixture.contents(1) == ["a": "A's edit"])
    }

    @Test func temporaryFilesOfAnInterruptedSyncAreNotSynced() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, ".vault-sync-0011223344556677.tmp", "half written")
        try fixture.write(0, "a", "a")
        let result = try await fixture.sync(0)
        #expect(result.plan.sent == [SyncPath("a")])
    }
}

@Suite("Sync: no lost update")
struct SyncPropertyTests {
    /// Seeds run in `swift test`; `VAULT_SYNC_SEEDS=N` runs N seeds, `VAULT_SYNC_OPERATIONS=M` M operations each.
    static var seeds: [UInt64] {
        let count = ProcessInfo.processInfo.environment["VAULT_SYNC_SEEDS"].flatMap { Int($0) } ?? 3
        return (0..<UInt64(max(1, count))).map { 0x5EED + $0 }
    }

    static var operations: Int {
        ProcessInfo.processInfo.environment["VAULT_SYNC_OPERATIONS"].flatMap { Int($0) } ?? 60
    }

    @Test(arguments: seeds)
    func threeReplicasConvergeAndLoseNothing(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let fixture = try await SyncFixture(replicas: 3)
        var version = 0
        var versionsAtSyncPoints: Set<String> = []
        let names = ["a", "b", "c", "d/e", "d/f", "g/h/i"]
        func newText() -> String {
            version += 1
            // Every version has its own length, so a same-size edit within one clock tick cannot hide.
            return "v\(version):" + String(repeating: ".", count: version)
        }
        for _ in 0..<Self.operations {
            let replica = Int(random.next() % 3)
            let name = names[Int(random.next() % UInt64(names.count))]
            let path = fixture.folder(replica) + "/" + name
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            switch random.next() % 7 {
            case 0, 1:  // create or edit
                if isDirectory.boolValue { continue }
                if !exists, (try? fixture.write(replica, name, newText())) == nil { continue }
                if exists { try fixture.write(replica, name, newText()) }
            case 2:  // delete
                if exists { try fixture.remove(replica, name) }
            case 3:  // rename
                let other = names[Int(random.next() % UInt64(names.count))]
                let otherPath = fixture.folder(replica) + "/" + other
                if exists, !isDirectory.boolValue, !FileManager.default.fileExists(atPath: otherPath), !other.hasPrefix(name + "/") {
                    try? FileManager.default.createDirectory(
                        atPath: (otherPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try? fixture.move(replica, name, other)
                }
            case 4:  // mkdir
                try? fixture.makeDirectory(replica, "m\(random.next() % 3)")
            default:  // sync
                for text in try fixture.contents(replica).values where text != "/" && !text.hasPrefix("->") {
                    versionsAtSyncPoints.insert(text)
                }
                try await fixture.sync(replica)
            }
        }
        for replica in [0, 1, 2] {
            for text in try fixture.contents(replica).values where text != "/" {
                versionsAtSyncPoints.insert(text)
            }
        }
        for _ in 0..<2 {
            for replica in [0, 1, 2] { try await fixture.sync(replica) }
        }
        let final = try fixture.contents(0)
        #expect(try fixture.contents(1) == final, "seed \(seed)")
        #expect(try fixture.contents(2) == final, "seed \(seed)")
        let present = Set(final.values)
        let history = try await fixture.historyTexts()
        let lost = versionsAtSyncPoints.filter { !present.contains($0) && !history.contains($0) }
        #expect(lost.isEmpty, "seed \(seed): lost \(lost.sorted())")
        // Nothing in the final round is left for a next sync.
        for replica in [0, 1, 2] {
            #expect(try await fixture.sync(replica).unchanged, "seed \(seed), replica \(replica)")
        }
    }
}

@Suite("Sync: a crash during the apply")
struct SyncCrashTests {
    /// Host 1's sync stops after every possible number of apply actions
    /// (the head written, the base not); the next sync converges and loses nothing.
    @Test func crashAtEveryApplyStepConverges() async throws {
        var steps = 0
        var stopAt = 0
        repeat {
            let fixture = try await SyncFixture()
            for (path, text) in ["a": "a", "b": "b", "c.txt": "c", "d/e": "e", "gone/x": "x"] { try fixture.write(0, path, text) }
            try await fixture.sync(0)
            try await fixture.sync(1)
            try fixture.write(0, "a", "A's a")
            try fixture.remove(0, "b")
            try fixture.write(0, "c.txt", "A's c")
            try fixture.write(0, "n/m/new", "A's new")
            try fixture.remove(0, "gone")
            try await fixture.sync(0)
            try fixture.write(1, "c.txt", "B's c, longer")
            try fixture.write(1, "d/e", "B's e")

            var options = SyncOptions(name: fixture.set, directory: fixture.folder(1))
            options.host = "host1"
            var crashing = Sync(repository: fixture.repository, options: options)
            steps = try await crashing.run(dryRunPlanOnly: true)
            crashing.stopAfterActions = stopAt
            await #expect(throws: OperationError.self) { _ = try await crashing.run() }

            try await fixture.sync(1)
            try await fixture.sync(0)
            try await fixture.sync(1)
            let final = try fixture.contents(0)
            #expect(try fixture.contents(1) == final, "stopped after \(stopAt)")
            let values = Set(final.values)
            for text in ["A's a", "A's c", "A's new", "B's c, longer", "B's e"] {
                #expect(values.contains(text), "stopped after \(stopAt): '\(text)' missing from \(final)")
            }
            #expect(final["b"] == nil && final["gone/x"] == nil, "stopped after \(stopAt)")
            #expect(!final.keys.contains { $0.contains(".vault-sync-") })
            stopAt += 1
        } while stopAt <= steps
        #expect(steps >= 6)
    }
}

extension Sync {
    /// The number of apply actions a sync would take now (a dry run).
    func run(dryRunPlanOnly: Bool) async throws -> Int {
        var dry = self
        dry.options.dryRun = true
        return try await dry.run().plan.actions.count
    }
}

@Suite("Sync: finding the head")
struct SyncHeadTests {
    @Test func headIsTheTipOfTheChainEvenWhenItsClockIsBehind() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, "a", "a")
        try await fixture.sync(0)
        // A head written later by a host whose clock is an hour behind.
        let snapshots = try await fixture.repository.snapshots()
        let first = try #require(SyncSetState(fixture.set, snapshots: snapshots, host: "host0").head)
        var behind = first.manifest
        behind.time = Timestamp(nanoseconds: first.manifest.time.nanoseconds - 3_600_000_000_000)
        behind.sync?.merged = [first.id]
        behind.host = "host1"
        let behindID = try await fixture.repository.saveSnapshot(behind)
        let state = SyncSetState(fixture.set, snapshots: try await fixture.repository.snapshots(), host: "host0")
        #expect(state.head?.id == behindID)
    }
}

@Suite("Sync: refusals")
struct SyncRefusalTests {
    @Test func pullFromASetThatDoesNotExistIsAnError() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, "a", "a")
        for mode in [SyncMode.pull, .replace] {
            await #expect(throws: OperationError.self) { try await fixture.sync(0, mode) }
        }
        #expect(try await fixture.repository.snapshots().isEmpty)
        #expect(try fixture.contents(0) == ["a": "a"])
    }

    @Test func badSetNamesAndFoldersAreRefused() async throws {
        let fixture = try await SyncFixture()
        var options = SyncOptions(name: "", directory: fixture.folder(0))
        await #expect(throws: OperationError.self) { _ = try await Sync(repository: fixture.repository, options: options).run() }
        options.name = "docs"
        options.directory = fixture.directory.appending("missing")
        await #expect(throws: OperationError.self) { _ = try await Sync(repository: fixture.repository, options: options).run() }
        try fixture.write(0, "file", "x")
        options.directory = fixture.folder(0) + "/file"
        await #expect(throws: OperationError.self) { _ = try await Sync(repository: fixture.repository, options: options).run() }
    }
}

@Suite("Sync: a damaged repository")
struct SyncDamageTests {
    @Test func missingPackStopsTheSyncAndLeavesTheFolderAsItWas() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, "a", "v0")
        try fixture.write(0, "b", "b")
        try await fixture.sync(0)
        try await fixture.sync(1)
        try fixture.write(0, "a", "A's edit, stored in a pack that will be lost")
        try await fixture.sync(0)
        let snapshots = try await fixture.repository.snapshots()
        let head = try #require(SyncSetState(fixture.set, snapshots: snapshots, host: "host0").head)
        let index = try await fixture.repository.loadIndex().chunks
        var trees: [Digest256: Tree] = [:]
        let listing = try await SyncTrees.listing(of: head.manifest.tree, repository: fixture.repository, index: index, cache: &trees)
        let blob = try #require(listing[SyncPath("a")]?.content.first)
        let pack = try #require(index.location(of: .data(blob))).pack
        try await fixture.repository.storage.delete(try ObjectName(kind: .data, name: pack.hex))

        await #expect(throws: RepositoryError.self) { try await fixture.sync(1) }
        #expect(try fixture.contents(1) == ["a": "v0", "b": "b"])
        // The lock was released: a later sync runs (and fails the same way until the pack is back).
        await #expect(throws: RepositoryError.self) { try await fixture.sync(1) }
    }
}

@Suite("Sync: unreadable entries")
struct SyncUnreadableTests {
    @Test func unreadableFolderIsNotADeletion() async throws {
        guard getuid() != 0 else { return }  // root reads anything
        let fixture = try await SyncFixture()
        try fixture.write(0, "private/secret", "s")
        try fixture.write(0, "private/other", "o")
        try fixture.write(0, "a", "a")
        try await fixture.sync(0)
        try await fixture.sync(1)
        let privateFolder = fixture.folder(1) + "/private"
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: privateFolder)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: privateFolder) }
        let result = try await fixture.sync(1)
        #expect(!result.warnings.isEmpty)
        #expect(result.plan.sentDeletions.isEmpty)
        try await fixture.sync(0)
        #expect(try fixture.contents(0) == ["a": "a", "private": "/", "private/secret": "s", "private/other": "o"])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: privateFolder)
        let readable = try await fixture.sync(1)
        #expect(readable.plan.conflicts.isEmpty && readable.plan.sentDeletions.isEmpty)
        #expect(try fixture.contents(1) == fixture.contents(0))
    }
}

@Suite("Sync: beside backups")
struct SyncBesideBackupTests {
    @Test func aBackupOfTheSameFolderNeverTakesASyncSnapshotAsItsParent() async throws {
        let fixture = try await SyncFixture()
        try fixture.write(0, "a", "a")
        try await fixture.sync(0)
        var options = BackupOptions(paths: [fixture.folder(0)])
        options.host = "host0"
        let result = try await Backup(repository: fixture.repository, options: options).run()
        #expect(result.manifest.kind == .full)
        #expect(result.manifest.parent == nil)
        #expect(result.manifest.sync == nil)
        // And the backup does not disturb the sync.
        #expect(try await fixture.sync(0).unchanged)
    }
}

@Suite("Sync: large files")
struct SyncLargeFileTests {
    private func storedBytes(_ fixture: SyncFixture) async throws -> Int64 {
        try await fixture.repository.list(.data).reduce(0) { $0 + $1.size }
    }

    @Test func aSmallChangeInALargeFileSendsOnlyTheChangedChunks() async throws {
        let fixture = try await SyncFixture()
        var bytes = pseudoRandomBytes(count: 4 << 20, seed: 15)
        let url = URL(fileURLWithPath: fixture.folder(0) + "/large.bin")
        try Data(bytes).write(to: url)
        try await fixture.sync(0)
        try await fixture.sync(1)
        let before = try await storedBytes(fixture)
        for offset in (2 << 20)..<((2 << 20) + 100) { bytes[offset] ^= 0xFF }
        try Data(bytes).write(to: url)
        try await fixture.sync(0)
        let added = try await storedBytes(fixture) - before
        // Chunks are 16 to 256 KiB here: one or two new chunks and a few trees, not 4 MiB.
        #expect(added < 600 << 10, "\(added) bytes stored for a 100-byte change")
        try await fixture.sync(1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.folder(1) + "/large.bin")) == Data(bytes))
    }
}

@Suite("Sync: cost proportional to change")
struct SyncCostTests {
    @Test func unchangedFoldersAreNotEntered() async throws {
        let fixture = try await SyncFixture()
        for folder in ["d1", "d2", "d3"] {
            for file in 0..<5 { try fixture.write(0, "\(folder)/sub/f\(file)", "\(folder) \(file)") }
        }
        try await fixture.sync(0)
        try await fixture.sync(1)
        try await fixture.sync(0)
        try fixture.write(0, "d1/sub/f0", "changed")
        let sender = try await fixture.sync(0)
        #expect(sender.plan.sent == [SyncPath("d1/sub/f0")])
        #expect(sender.plan.merged[SyncPath("d2")] != nil)
        #expect(sender.plan.merged[SyncPath("d2/sub")] == nil, "d2 was entered")
        let receiver = try await fixture.sync(1)
        #expect(receiver.plan.received == [SyncPath("d1/sub/f0")])
        #expect(receiver.plan.merged[SyncPath("d3/sub/f1")] == nil, "d3 was entered")
        #expect(try fixture.contents(1) == fixture.contents(0))
        // The heads written with skipped folders are complete: a third host gets everything.
        var options = SyncOptions(name: fixture.set, directory: fixture.directory.appending("third"))
        try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
        options.host = "third"
        try await Sync(repository: fixture.repository, options: options).run()
        #expect(try SyncFixture.contents(of: options.directory) == fixture.contents(0))
    }
}
