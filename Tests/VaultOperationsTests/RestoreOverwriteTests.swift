import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// Restoring over existing entries: the overwrite policies, `--delete`,
/// and resuming an interrupted restore.
@Suite("restore: existing targets")
struct RestoreOverwriteTests {
    /// A snapshot of a small tree, and a target holding an older state of it.
    struct Setup {
        let fixture: RestoreFixture
        let source: String
        let target: String

        init() async throws {
            fixture = try await RestoreFixture()
            source = fixture.scratch.appending("src")
            target = fixture.scratch.appending("target")
            try TestFiles.makeDirectory(TestFiles.bytes(source))
            for name in ["same-size-and-time", "different", "identical"] {
                try TestFiles.write(TestFiles.join(source, name), Array("snapshot \(name)".utf8))
                try TestFiles.setTime(TestFiles.join(source, name), seconds: 1_700_000_000, nanoseconds: 5)
            }
            try TestFiles.makeDirectory(TestFiles.join(source, "d"))
            try TestFiles.write(TestFiles.join(source, "d/e"), Array("new in d".utf8))
            try TestFiles.symlink(TestFiles.join(source, "link"), to: TestFiles.bytes("d/e"))
            try await fixture.backup([source])

            try TestFiles.makeDirectory(TestFiles.bytes(target))
            // Other contents, but the size and time the snapshot has: `if-changed` cannot tell.
            try TestFiles.write(TestFiles.join(target, "same-size-and-time"), Array("SNAPSHOT same-size-and-time".utf8))
            try TestFiles.setTime(TestFiles.join(target, "same-size-and-time"), seconds: 1_700_000_000, nanoseconds: 5)
            try TestFiles.write(TestFiles.join(target, "different"), Array("an older version".utf8))
            try TestFiles.write(TestFiles.join(target, "identical"), Array("snapshot identical".utf8))
            try TestFiles.setTime(TestFiles.join(target, "identical"), seconds: 1_700_000_000, nanoseconds: 5)
            try TestFiles.write(TestFiles.join(target, "extra"), Array("not in the snapshot".utf8))
        }

        func contents(_ name: String) throws -> String {
            String(decoding: try TestFiles.read(TestFiles.join(target, name)), as: UTF8.self)
        }

        func inode(_ name: String) throws -> UInt64 {
            try TestFiles.status(TestFiles.join(target, name)).inode
        }
    }

    @Test("always replaces every existing entry")
    func always() async throws {
        let setup = try await Setup()
        let before = try setup.inode("identical")
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target)
        #expect(result.problems == [])
        #expect(result.summary.filesRestored == 4)
        #expect(result.summary.filesUnchanged == 0)
        #expect(try setup.contents("same-size-and-time") == "snapshot same-size-and-time")
        #expect(try setup.contents("different") == "snapshot different")
        #expect(try setup.inode("identical") != before)
        #expect(try setup.contents("extra") == "not in the snapshot")
        #expect(try setup.contents("d/e") == "new in d")
    }

    @Test("if-changed keeps files whose size and modification time match, and --verify then finds a difference")
    func ifChanged() async throws {
        let setup = try await Setup()
        let before = try setup.inode("identical")
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) {
            $0.overwrite = .ifChanged
            $0.verifies = true
        }
        #expect(result.problems == [])
        #expect(result.summary.filesRestored == 2)
        #expect(result.summary.filesUnchanged == 2)
        #expect(try setup.inode("identical") == before)
        #expect(try setup.contents("different") == "snapshot different")
        // Size and time match: the file is kept, and only --verify notices its other contents.
        #expect(try setup.contents("same-size-and-time") == "SNAPSHOT same-size-and-time")
        let verification = try #require(result.verification)
        #expect(verification.files == 4)
        #expect(verification.mismatches.map(\.path) == [setup.target + "/same-size-and-time"])
        #expect(!result.isComplete)
    }

    @Test("never keeps every existing entry and adds the missing ones")
    func never() async throws {
        let setup = try await Setup()
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) { $0.overwrite = .never }
        #expect(result.problems == [])
        #expect(result.summary.entriesKept == 3)
        #expect(try setup.contents("different") == "an older version")
        #expect(try setup.contents("same-size-and-time") == "SNAPSHOT same-size-and-time")
        #expect(try setup.contents("d/e") == "new in d")
        #expect(try FileSystem.linkTarget(of: FilePath(bytes: TestFiles.join(setup.target, "link"))) == TestFiles.bytes("d/e"))
    }

    @Test("--delete removes what the snapshot does not have, only inside restored directories")
    func delete() async throws {
        let setup = try await Setup()
        try TestFiles.makeDirectory(TestFiles.join(setup.target, "d"))
        try TestFiles.write(TestFiles.join(setup.target, "d/stale"), [1])
        try TestFiles.makeDirectory(TestFiles.join(setup.target, "gone"))
        try TestFiles.makeDirectory(TestFiles.join(setup.target, "gone/deeper"))
        try TestFiles.write(TestFiles.join(setup.target, "gone/deeper/file"), [2])
        let kept = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target)
        #expect(kept.summary.entriesDeleted == 0)
        #expect(TestFiles.exists(TestFiles.join(setup.target, "d/stale")))

        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) { $0.deletesExtraneous = true }
        #expect(result.problems == [])
        #expect(result.summary.entriesDeleted == 5)
        let differences = try TreeComparison().differences(TestFiles.bytes(setup.source), TestFiles.bytes(setup.target))
        #expect(differences == [])
    }

    @Test("--delete with include patterns removes only entries the patterns select")
    func deleteWithIncludes() async throws {
        let setup = try await Setup()
        try TestFiles.write(TestFiles.join(setup.target, "stale.txt"), [1])
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) {
            $0.deletesExtraneous = true
            try $0.selection.include("*.txt")
            try $0.selection.include("d")
        }
        #expect(result.problems == [])
        #expect(result.summary.entriesDeleted == 1)
        #expect(!TestFiles.exists(TestFiles.join(setup.target, "stale.txt")))
        #expect(try setup.contents("extra") == "not in the snapshot")
        #expect(try setup.contents("different") == "an older version")
        #expect(try setup.contents("d/e") == "new in d")
    }

    @Test("an existing directory where the snapshot has a file is replaced, and the other way round")
    func typeChanges() async throws {
        let setup = try await Setup()
        try FileSystem.removeFile(FilePath(bytes: TestFiles.join(setup.target, "different")))
        try TestFiles.makeDirectory(TestFiles.join(setup.target, "different"))
        try TestFiles.write(TestFiles.join(setup.target, "different/inside"), [1])
        try TestFiles.write(TestFiles.join(setup.target, "d"), Array("a file where a directory goes".utf8))
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) { $0.overwrite = .ifChanged }
        #expect(result.problems == [])
        #expect(try setup.contents("different") == "snapshot different")
        #expect(try setup.contents("d/e") == "new in d")
    }

    @Test("a restore resumed with if-changed rewrites only what is missing or differs, and clears leftover temporary files")
    func resume() async throws {
        let fixture = try await RestoreFixture()
        let source = fixture.scratch.appending("src")
        try RestoreFidelityTests.buildTree(at: TestFiles.bytes(source))
        try await fixture.backup([source])
        let target = fixture.scratch.appending("target")
        let first = try await fixture.restore("latest:\(source)", into: target)
        #expect(first.problems == [])

        // What an interruption, or a user, leaves: a missing file, a cut one, a touched one, temporary files.
        try FileSystem.removeFile(FilePath(bytes: TestFiles.join(target, "plain.txt")))
        let cut = try FileDescriptor.open(FilePath(bytes: TestFiles.join(target, "big.bin")), .writeOnly)
        try cut.truncate(to: 1000)
        try cut.close()
        try TestFiles.setTime(TestFiles.join(target, "empty"), seconds: 12345, nanoseconds: 0)
        try TestFiles.write(TestFiles.join(target, ".vault-restore-dead-0-1"), Array("half written".utf8))
        try TestFiles.write(TestFiles.join(target, "links/sub/.vault-restore-dead-1-7"), [1])
        let untouched = try TestFiles.status(TestFiles.join(target, "sparse.img")).inode

        let second = try await fixture.restore("latest:\(source)", into: target) { $0.overwrite = .ifChanged }
        #expect(second.problems == [])
        #expect(second.summary.filesRestored == 3)
        #expect(second.summary.filesUnchanged == first.summary.filesRestored - 3 + first.summary.hardLinks)
        #expect(try TestFiles.status(TestFiles.join(target, "sparse.img")).inode == untouched)
        let differences = try TreeComparison().differences(TestFiles.bytes(source), TestFiles.bytes(target))
        #expect(differences == [])
    }

    @Test("an interrupted restore leaves only complete files, in existing and in new directories, and resumes")
    func interrupted() async throws {
        let fixture = try await RestoreFixture(compression: .none)
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        // "a-new" sorts first: the first pack holds files of a directory the restore creates.
        try TestFiles.makeDirectory(TestFiles.join(source, "a-new"))
        var relatives: [String] = []
        for index in 0..<12 {
            let relative = index % 2 == 0 ? "file-\(index)" : "a-new/file-\(index)"
            relatives.append(relative)
            try TestFiles.write(TestFiles.join(source, relative), TestFiles.random(700_000, seed: UInt64(100 + index)))
        }
        try await fixture.backup([source])
        let target = fixture.scratch.appending("target")
        try TestFiles.makeDirectory(TestFiles.bytes(target))
        let interrupt = InterruptFlag()
        let error = await #expect(throws: OperationError.self) {
            try await fixture.restore("latest:\(source)", into: target, interrupt: interrupt, progress: { _ in interrupt.raise() })
        }
        #expect(error?.code == .interrupted)
        let present = try TestFiles.walk(TestFiles.bytes(target)).map { String(decoding: $0, as: UTF8.self) }
        #expect(present.filter { $0 != "a-new" }.count < 12)
        // A lane ran (it made the directory) before the interruption stopped the restore.
        #expect(present.contains("a-new"))
        for relative in present where relative != "a-new" {
            #expect(relatives.contains(relative), "\(relative)")
            #expect(try TestFiles.read(TestFiles.join(target, relative)) == TestFiles.read(TestFiles.join(source, relative)))
        }

        let resumed = try await fixture.restore("latest:\(source)", into: target) { $0.overwrite = .ifChanged }
        #expect(resumed.problems == [])
        #expect(resumed.summary.filesUnchanged == present.filter { $0 != "a-new" }.count)
        let differences = try TreeComparison().differences(TestFiles.bytes(source), TestFiles.bytes(target))
        #expect(differences == [])
    }
}
