import Foundation
import Testing
import VaultCodecs
import VaultRepository
import VaultStorage
import VaultTestSupport

@testable import VaultOperations

@Suite("Forget and prune")
struct PruneTests {
    @Test func forgetThenPruneKeepsEveryRemainingSnapshotAndShrinks() async throws {
        let scenario = try await PruneScenario.make()
        let repository = scenario.repository
        let before = try await packBytes(repository.storage)

        let forgotten = try await scenario.forgetAllButLastTwo()
        #expect(Set(forgotten.removed) == Set(scenario.snapshots.prefix(4).map(\.id)))
        #expect(try await repository.snapshots().map(\.id) == scenario.kept.map(\.id))
        // Forget removes snapshot objects only.
        #expect(try await packBytes(repository.storage) == before)

        var options = PruneOptions()
        options.maximumUnused = .percent(0)
        let report = try await RepositoryPrune(repository: repository, options: options).run(removedSnapshots: 4)
        let after = try await packBytes(repository.storage)
        #expect(report.deletedPacks > 0)
        #expect(report.repackedPacks > 0, "the small files' pack is half unused")
        #expect(report.sizeBefore == before)
        #expect(report.sizeAfter == after)
        #expect(before - after >= Int64(scenario.uniqueToFirstFour), "shrank by \(before - after), unique data \(scenario.uniqueToFirstFour)")
        #expect(report.summaryLine.hasPrefix("removed 4 snapshots; deleted \(report.deletedPacks) packs ("))
        #expect(try await repository.list(.index).count == 1)

        try await expectVerifiesClean(repository, "after prune")
        try await scenario.expectKeptSnapshotsRestore(repository)

        // A second prune finds nothing to do.
        let second = try await RepositoryPrune(repository: repository, options: options).run()
        #expect(second.deletedPacks == 0 && second.repackedPacks == 0 && second.deletedUnindexedPacks == 0)
        #expect(second.indexFilesWritten == 0)
    }

    @Test func dryRunChangesNothing() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 600_000)
        var forgetOptions = SnapshotForget.Options()
        forgetOptions.policy.last = 2
        forgetOptions.dryRun = true
        let outcome = try await SnapshotForget(repository: scenario.repository, options: forgetOptions).run()
        #expect(outcome.removed.count == 4)
        #expect(try await scenario.repository.snapshots().count == 6)

        let objects = try await objectDigests(scenario.repository.storage)
        var options = PruneOptions()
        options.dryRun = true
        var prune = RepositoryPrune(repository: scenario.repository, options: options)
        prune.excludedSnapshots = Set(outcome.removed)
        let report = try await prune.run()
        #expect(report.dryRun)
        #expect(report.deletedPacks > 0)
        #expect(report.summaryLine.hasPrefix("would remove 0 snapshots; would delete"))
        #expect(try await objectDigests(scenario.repository.storage) == objects)
    }

    @Test func forgetRefusesToEmptyAGroupOrToRunWithoutRules() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 100_000)
        var options = SnapshotForget.Options()
        await #expect(throws: OperationError.self) { try await SnapshotForget(repository: scenario.repository, options: options).run() }
        options.policy.tags = [["no-such-tag"]]
        let error = await #expect(throws: OperationError.self) {
            try await SnapshotForget(repository: scenario.repository, options: options).run()
        }
        #expect(error?.message.contains("keeps no snapshot") == true)
        #expect(try await scenario.repository.snapshots().count == 6)

        // Explicit IDs may remove a whole group.
        var byID = SnapshotForget.Options()
        byID.references = try scenario.snapshots.map { try SnapshotReference(parsing: String($0.id.hex.prefix(12))) }
        let outcome = try await SnapshotForget(repository: scenario.repository, options: byID).run()
        #expect(outcome.removed.count == 6)
        #expect(try await scenario.repository.snapshots().isEmpty)
        // Prune then removes every pack.
        _ = try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run()
        #expect(try await packBytes(scenario.repository.storage) == 0)
        try await expectVerifiesClean(scenario.repository)
    }

    @Test func keepFullKeepsTheNewestFullSnapshots() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("a", "one")
        var ids: [SnapshotID] = []
        for kind in [SnapshotKind.full, .incremental, .full, .differential, .incremental] {
            try fixture.write("a", "\(kind) \(ids.count)")
            ids.append(try await fixture.backup(kind).snapshotID)
        }
        var options = SnapshotForget.Options()
        options.policy.full = 1
        options.policy.last = 1
        let outcome = try await SnapshotForget(repository: fixture.repository, options: options).run()
        let kept = try #require(outcome.groups.first?.kept)
        #expect(kept.map(\.id) == [ids[4], ids[2]])
        #expect(kept[1].reasons.map(\.description) == ["full snapshot"])
        // The differential whose base is gone still restores on its own; a new
        // differential compares with the newest remaining full snapshot.
        let next = try await fixture.backup(.differential)
        #expect(next.manifest.kind == .differential)
        #expect(next.manifest.parent == ids[2])
    }

    @Test func pruneRefusesWhileAnotherProcessHoldsALock() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 100_000)
        let backupLock = try await RepositoryLock.acquire(scenario.repository, exclusive: false)
        let error = await #expect(throws: RepositoryError.self) {
            try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run()
        }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("pid \(ProcessInfo.processInfo.processIdentifier)") == true || error?.message.contains("locked") == true)
        let forgetError = await #expect(throws: RepositoryError.self) { try await scenario.forgetAllButLastTwo() }
        #expect(forgetError?.code == .locked)
        try await backupLock.release()

        // And a backup started while prune holds its lock refuses likewise.
        let pruneLock = try await RepositoryLock.acquire(scenario.repository, exclusive: true)
        let backupError = await #expect(throws: RepositoryError.self) { try await scenario.fixture.backup() }
        #expect(backupError?.code == .locked)
        try await pruneLock.release()
    }

    /// Backups and prunes run at the same time: the later one refuses, and
    /// every snapshot either side reports as saved restores.
    @Test func concurrentBackupAndPrune() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 300_000)
        _ = try await scenario.forgetAllButLastTwo()
        var saved: [(SnapshotID, [String: [UInt8]])] = scenario.kept.map { ($0.id, $0.files) }
        var outcomes: [String] = []
        for round in 0..<4 {
            try scenario.fixture.write("round", pseudoRandomBytes(count: 200_000, seed: UInt64(100 + round)))
            var files = scenario.kept.last?.files ?? [:]
            files["round"] = pseudoRandomBytes(count: 200_000, seed: UInt64(100 + round))
            let repository = scenario.repository
            async let backup: Result<SnapshotID, any Error> = {
                do { return .success(try await scenario.fixture.backup().snapshotID) } catch { return .failure(error) }
            }()
            async let prune: Result<PruneReport, any Error> = {
                do { return .success(try await RepositoryPrune(repository: repository, options: PruneOptions()).run()) } catch { return .failure(error) }
            }()
            let (backupResult, pruneResult) = await (backup, prune)
            switch backupResult {
            case .success(let id):
                saved.append((id, files))
                outcomes.append("backup saved")
            case .failure(let error):
                #expect((error as? RepositoryError)?.code == .locked, "backup failed with \(error)")
                outcomes.append("backup refused")
            }
            if case .failure(let error) = pruneResult {
                #expect((error as? RepositoryError)?.code == .locked, "prune failed with \(error)")
                outcomes.append("prune refused")
            }
            try? FileManager.default.removeItem(atPath: scenario.fixture.source + "/round")
        }
        try await expectVerifiesClean(scenario.repository, "after concurrent rounds \(outcomes)")
        let present = Set(try await scenario.repository.snapshots().map(\.id))
        for (id, files) in saved {
            #expect(present.contains(id))
            let manifest = try await scenario.repository.loadSnapshot(id)
            var restored = try await scenario.fixture.files(of: manifest)
            restored = restored.filter { !$0.key.hasPrefix("round") || files[$0.key] != nil }
            #expect(restored.count == files.count)
            for (path, bytes) in files where path != "round" {
                #expect(restored[path].map { SHA256Hasher.hash($0) } == SHA256Hasher.hash(bytes), "\(path) in \(id.shortHex)")
            }
        }
    }

    @Test func mirrorDeleteAfterPruneMakesTheMirrorMatch() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 400_000)
        let mirrorPath = scenario.fixture.directory.appending("mirror")
        try FileManager.default.createDirectory(atPath: mirrorPath, withIntermediateDirectories: false)
        let mirror = try LocalDirectoryStorage(at: mirrorPath)
        let source = scenario.repository.storage
        _ = try await RepositoryMirror(source: scenario.repository, destination: mirror).run()
        var delete = RepositoryMirror.Options()
        delete.delete = true

        // Forgotten snapshots: without --delete the mirror refuses, naming them.
        _ = try await scenario.forgetAllButLastTwo()
        let refusal = await #expect(throws: OperationError.self) {
            _ = try await RepositoryMirror(source: scenario.repository, destination: mirror).run()
        }
        #expect(refusal?.message.contains("4 snapshots the source does not know") == true)
        // --delete --dry-run says what it would remove, and removes nothing.
        var dryRun = delete
        dryRun.dryRun = true
        let before = try await objectDigests(mirror)
        let plan = try await RepositoryMirror(source: scenario.repository, destination: mirror, options: dryRun).run()
        #expect(plan.deleted == [.snapshots: 4])
        #expect(try await objectDigests(mirror) == before)
        _ = try await RepositoryMirror(source: scenario.repository, destination: mirror, options: delete).run()
        #expect(try await objectDigests(mirror) == (try await objectDigests(source)))

        // Pruned data: without --delete the mirror copies what is new and says what it would remove.
        let report = try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run(removedSnapshots: 4)
        #expect(report.deletedPacks > 0)
        let sourceObjects = try await objectDigests(source)
        let stale = try await objectDigests(mirror).keys.filter { sourceObjects[$0] == nil }
        let kept = try await RepositoryMirror(source: scenario.repository, destination: mirror).run()
        #expect(kept.totalExtra == stale.count)
        #expect((kept.extra[.data] ?? 0) >= report.deletedPacks && (kept.extra[.index] ?? 0) >= 1)
        #expect(kept.totalDeleted == 0)

        _ = try await RepositoryMirror(source: scenario.repository, destination: mirror, options: delete).run()
        #expect(try await objectDigests(mirror) == sourceObjects)
        let mirrored = try await Repository.open(mirror) { () throws(RepositoryError) in "pw" }
        try await expectVerifiesClean(mirrored, "mirror")
        try await scenario.expectKeptSnapshotsRestore(mirrored)
    }

    @Test func pruneRefusesOnAMissingPackNamingTheSnapshot() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 300_000)
        _ = try await scenario.forgetAllButLastTwo()
        // Remove a pack that holds the newest big file.
        let index = try await scenario.repository.loadIndex().chunks
        let newest = try await scenario.repository.loadSnapshot(try #require(scenario.kept.last?.id))
        let root = try #require(try await scenario.repository.node(at: Array((scenario.fixture.source + "/big-5").utf8), root: newest.tree, index: index))
        let firstChunk = try #require(root.content.first)
        let pack = try #require(index.location(of: .data(firstChunk))).pack
        try await scenario.repository.storage.delete(try ObjectName(kind: .data, name: pack.hex))
        let objects = try await objectDigests(scenario.repository.storage)

        let error = await #expect(throws: RepositoryError.self) {
            try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run()
        }
        #expect(error?.code == .damaged)
        let damagedID = try #require(scenario.kept.last?.id)
        #expect(error?.message.contains(damagedID.shortHex) == true)
        #expect(try await objectDigests(scenario.repository.storage) == objects, "a refused prune changes nothing")

        // --ignore-damaged prunes the rest and keeps the damaged snapshot's records.
        var options = PruneOptions()
        options.ignoreDamaged = true
        let report = try await RepositoryPrune(repository: scenario.repository, options: options).run()
        #expect(report.deletedPacks > 0)
        #expect(report.affectedSnapshots == [damagedID])
        #expect(report.damagedPacksKept == 1)
        let verify = try await RepositoryVerifier(repository: scenario.repository).run()
        #expect(verify.findings.contains { $0.kind == .packMissing })
        #expect(verify.affectedSnapshots == [damagedID])
        // The other kept snapshot still restores whole.
        let other = try #require(scenario.kept.first)
        let files = try await scenario.fixture.files(of: try await scenario.repository.loadSnapshot(other.id))
        #expect(files == other.files)
    }

    @Test func unindexedPacksAreRemoved() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 100_000)
        // A pack an interrupted backup left behind: valid, but in no index.
        var writer = PackWriter(cipher: scenario.repository.cipher)
        writer.add(type: .data, id: Digest256(bytes: [UInt8](repeating: 7, count: 32))!, rawLength: 3, stored: UnsafeRawBufferPointer(start: nil, count: 0))
        let orphan = writer.finish()
        try await scenario.repository.savePack(orphan)
        let orphanName = try ObjectName(kind: .data, name: orphan.id.hex)
        // Younger than the safety margin by the storage's clock: a writer whose
        // lock went stale might still index it, so it stays.
        let early = try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run()
        #expect(early.deletedUnindexedPacks == 0)
        #expect(early.unindexedPacksKept == 1)
        #expect(try await scenario.repository.storage.exists(orphanName))
        // Once the margin has passed (here: a margin of zero), it goes.
        let report = try await RepositoryPrune(repository: scenario.repository, options: Self.noMargin).run()
        #expect(report.deletedUnindexedPacks == 1)
        #expect(!(try await scenario.repository.storage.exists(orphanName)))
        try await expectVerifiesClean(scenario.repository)
    }

    /// Prune options for "a later prune, after the safety margin for
    /// unindexed packs has passed".
    static var noMargin: PruneOptions {
        var options = PruneOptions()
        options.safetyMargin = .zero
        return options
    }

    /// Kill prune at every mutating storage call (at least 20 points over its
    /// run: lock, repacked packs, index files written and removed, packs
    /// removed), half before the call and half after it: the repository
    /// verifies, every kept snapshot restores bit-exact, and a second prune
    /// finishes the job.
    @Test func killedAnywherePruneLosesNothing() async throws {
        let scenario = try await PruneScenario.make()
        _ = try await scenario.forgetAllButLastTwo()
        let pristine = scenario.repositoryPath
        let work = scenario.fixture.directory.appending("crash")

        // How many mutating calls a whole prune makes.
        try copyFolder(pristine, to: work)
        let counting = CrashingStorage(base: try LocalDirectoryStorage(at: work))
        let reference = try await RepositoryPrune(repository: try await Repository.open(counting) { () throws(RepositoryError) in "pw" }, options: PruneOptions()).run()
        let total = counting.mutations
        #expect(total >= 20, "a prune of this history makes \(total) mutating calls")
        print("killedAnywherePruneLosesNothing: \(total) crash points (\(reference.deletedPacks) packs deleted, \(reference.repackedPacks) repacked, \(reference.indexFilesRemoved) index files replaced)")
        #expect(reference.repackedPacks > 0 && reference.deletedPacks > 0 && reference.indexFilesRemoved > 1)
        let finalSize = reference.sizeAfter

        for point in 1...total {
            let completes = point % 2 == 0
            let context = "crash at mutating call \(point) of \(total)\(completes ? ", after it" : ", before it")"
            try copyFolder(pristine, to: work)
            let crashing = CrashingStorage(base: try LocalDirectoryStorage(at: work), crashAt: point, completesCall: completes)
            let opened = try await Repository.open(crashing) { () throws(RepositoryError) in "pw" }
            _ = try? await RepositoryPrune(repository: opened, options: PruneOptions()).run()

            let survivor = try await Repository.open(try LocalDirectoryStorage(at: work)) { () throws(RepositoryError) in "pw" }
            // The killed process's lock stays behind, as after kill -9: 'vault unlock' removes it.
            _ = try await RepositoryLock.removeStale(in: survivor, all: true)
            try await expectVerifiesClean(survivor, context)
            try await scenario.expectKeptSnapshotsRestore(survivor, context)

            // The next prune runs after the safety margin for unindexed packs.
            let second = try await RepositoryPrune(repository: survivor, options: Self.noMargin).run()
            #expect(second.sizeAfter == finalSize, "\(context): the second prune ends where an uninterrupted one does")
            let third = try await RepositoryPrune(repository: survivor, options: Self.noMargin).run()
            #expect(third.deletedPacks + third.deletedUnindexedPacks + third.repackedPacks == 0, "\(context): nothing left to do")
            try await expectVerifiesClean(survivor, context + ", after the second prune")
        }
        try await scenario.expectKeptSnapshotsRestore(try await Repository.open(try LocalDirectoryStorage(at: work)) { () throws(RepositoryError) in "pw" })
    }

    /// A used blob in a pack to repack is damaged (one byte flipped): prune
    /// stops before changing the index, so nothing is lost; with
    /// --ignore-damaged it keeps that pack whole and prunes the rest.
    @Test func aDamagedBlobInAPackToRepackStopsPrune() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 300_000)
        _ = try await scenario.forgetAllButLastTwo()
        var options = PruneOptions()
        options.maximumUnused = .percent(0)
        let (plan, _) = try await RepositoryPrune(repository: scenario.repository, options: options).plan(lock: nil)
        let victim = try #require(plan.repack.first)
        let blob = try #require(victim.blobs.first)
        let path = scenario.repositoryPath + "/data/" + String(victim.pack.hex.prefix(2)) + "/" + victim.pack.hex
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[Int(blob.offset) + Int(blob.length) / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let indexBefore = try await scenario.repository.list(.index).map(\.name)

        let error = await #expect(throws: RepositoryError.self) {
            try await RepositoryPrune(repository: scenario.repository, options: options).run()
        }
        #expect(error?.code == .damaged)
        #expect(error?.message.contains(victim.pack.shortHex) == true)
        #expect(try await scenario.repository.list(.index).map(\.name) == indexBefore, "the index is untouched")
        #expect(try await scenario.repository.storage.exists(try ObjectName(kind: .data, name: victim.pack.hex)))

        options.ignoreDamaged = true
        let report = try await RepositoryPrune(repository: scenario.repository, options: options).run()
        #expect(report.damagedPacksKept == 1)
        #expect(try await scenario.repository.storage.exists(try ObjectName(kind: .data, name: victim.pack.hex)))
        let verify = try await RepositoryVerifier(repository: scenario.repository, readData: .all).run()
        #expect(verify.findings.filter { $0.severity == .error }.allSatisfy { $0.description.contains(victim.pack.shortHex) })
        #expect(verify.hasDamage, "the flipped byte is still reported, never hidden")
    }

    /// A damaged snapshot: a policy leaves it alone, prune refuses while it
    /// is there (its trees are unknown), and forgetting it by ID works.
    @Test func aDamagedSnapshotIsForgottenOnlyByID() async throws {
        let scenario = try await PruneScenario.make(bigFileSize: 100_000)
        let damaged = try #require(scenario.snapshots.first?.id)
        let path = scenario.repositoryPath + "/snapshots/" + damaged.hex
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var policy = SnapshotForget.Options()
        policy.policy.last = 2
        let outcome = try await SnapshotForget(repository: scenario.repository, options: policy).run()
        #expect(outcome.unreadable == [damaged])
        #expect(outcome.removed.count == 3, "the five readable snapshots but the newest two")
        #expect(try await scenario.repository.storage.exists(try ObjectName(kind: .snapshots, name: damaged.hex)))

        let refusal = await #expect(throws: RepositoryError.self) {
            try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run()
        }
        #expect(refusal?.message.contains(damaged.shortHex) == true)

        var byID = SnapshotForget.Options()
        byID.references = [try SnapshotReference(parsing: String(damaged.hex.prefix(10)))]
        let removed = try await SnapshotForget(repository: scenario.repository, options: byID).run()
        #expect(removed.removedUnreadable == [damaged])
        #expect(!(try await scenario.repository.storage.exists(try ObjectName(kind: .snapshots, name: damaged.hex))))
        _ = try await RepositoryPrune(repository: scenario.repository, options: PruneOptions()).run()
        try await expectVerifiesClean(scenario.repository)
        try await scenario.expectKeptSnapshotsRestore(scenario.repository)
    }
}
