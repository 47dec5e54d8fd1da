import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// A restore gives back every kind of entry as it was backed up.
@Suite("restore: fidelity")
struct RestoreFidelityTests {
    /// Builds a tree with every kind of entry the format holds.
    ///
    /// - Returns: Whether `user.*` extended attributes were set.
    static func buildTree(at source: [UInt8]) throws -> Bool {
        func path(_ relative: String) -> [UInt8] { TestFiles.join(source, TestFiles.bytes(relative)) }
        try TestFiles.makeDirectory(source)
        try TestFiles.write(path("plain.txt"), Array("hello, restore\n".utf8))
        try TestFiles.write(path("empty"), [], mode: 0o600)
        try TestFiles.write(path("big.bin"), TestFiles.random(3 << 20, seed: 1), mode: 0o640)
        // 20 MiB with an 18 MiB hole in the middle.
        let sparse = path("sparse.img")
        try TestFiles.write(sparse, TestFiles.random(1 << 20, seed: 2))
        let file = try FileDescriptor.open(FilePath(bytes: sparse), .writeOnly)
        let tail = TestFiles.random(1 << 20, seed: 3)
        tail.withUnsafeBytes { buffer in
            try? file.writeAll(toAbsoluteOffset: 19 << 20, buffer)
        }
        try file.close()
        #expect(try TestFiles.status(sparse).size == 20 << 20)
        // Odd names: spaces, a newline, bytes that are not UTF-8, a leading dash, Unicode.
        try TestFiles.write(path("name with spaces"), [1])
        try TestFiles.write(path("new\nline"), [2])
        try TestFiles.write(TestFiles.join(source, [0x66, 0xFF, 0xFE, 0x80]), [3])
        try TestFiles.write(path("-dash"), [4])
        try TestFiles.write(path("ünïcødé ✓"), [5])
        try TestFiles.write(path("setuid"), [6], mode: 0o4755)
        try TestFiles.write(path("setgid"), [7], mode: 0o2750)
        try TestFiles.write(path("nomode"), [8], mode: 0)
        try TestFiles.write(path("old.txt"), [9])
        try TestFiles.setTime(path("old.txt"), seconds: -1, nanoseconds: 500_000_000)
        try TestFiles.setTime(path("plain.txt"), seconds: 1_000_000_000, nanoseconds: 123_456_789)

        try TestFiles.makeDirectory(path("dir-empty"), mode: 0o700)
        try TestFiles.makeDirectory(path("sticky"), mode: 0o1777)
        try TestFiles.makeDirectory(path("readonly"), mode: 0o755)
        try TestFiles.write(path("readonly/inside"), [10], mode: 0o444)
        try FileSystem.setPermissions(of: FilePath(bytes: path("readonly")), to: 0o555)

        try TestFiles.makeDirectory(path("links"))
        try TestFiles.makeDirectory(path("links/sub"))
        try TestFiles.write(path("links/a"), TestFiles.random(300_000, seed: 4))
        try TestFiles.link(path("links/a"), path("links/b"))
        try TestFiles.link(path("links/a"), path("links/sub/c"))
        try TestFiles.write(path("links/x"), Array("other group".utf8))
        try TestFiles.link(path("links/x"), path("y-outside-links"))
        try TestFiles.write(path("links/empty-linked"), [])
        try TestFiles.link(path("links/empty-linked"), path("links/sub/empty-linked-2"))

        try TestFiles.symlink(path("sym-relative"), to: TestFiles.bytes("plain.txt"))
        try TestFiles.symlink(path("sym-absolute"), to: TestFiles.bytes("/etc/passwd"))
        try TestFiles.symlink(path("sym-dangling"), to: TestFiles.bytes("does/not/exist"))
        try TestFiles.symlink(path("sym-odd"), to: [0x2E, 0x2E, 0x2F, 0xFF, 0x0A])
        try TestFiles.setTime(path("sym-relative"), seconds: 1_234_567_890, nanoseconds: 42)

        try FileSystem.makeSpecialFile(FilePath(bytes: path("fifo")), kind: .fifo, permissions: 0o640)
        try FileSystem.makeSpecialFile(FilePath(bytes: path("socket")), kind: .socket, permissions: 0o755)
        if restoreTestsRunAsRoot {
            try FileSystem.makeSpecialFile(FilePath(bytes: path("null")), kind: .characterDevice, permissions: 0o666, device: 0x103)
            try FileSystem.makeSpecialFile(FilePath(bytes: path("loop")), kind: .blockDevice, permissions: 0o660, device: 0x700)
            for (relative, user, group) in [("plain.txt", 1234, 5678), ("setuid", 1234, 0), ("setgid", 0, 5678), ("dir-empty", 42, 43), ("fifo", 7, 8)] {
                try FileSystem.setOwner(of: FilePath(bytes: path(relative)), userID: UInt32(user), groupID: UInt32(group))
            }
            try FileSystem.setOwner(of: FilePath(bytes: path("sym-relative")), userID: 99, groupID: 98)
            // chown clears set-ID bits: set them again.
            try FileSystem.setPermissions(of: FilePath(bytes: path("setuid")), to: 0o4755)
            try FileSystem.setPermissions(of: FilePath(bytes: path("setgid")), to: 0o2750)
        }

        // 100 levels deep.
        var deep = path("deep")
        for level in 0..<100 {
            try TestFiles.makeDirectory(deep)
            if level == 99 { try TestFiles.write(TestFiles.join(deep, TestFiles.bytes("bottom")), Array("deep".utf8)) }
            deep = TestFiles.join(deep, TestFiles.bytes("d"))
        }

        let attributes = try TestFiles.supportsUserAttributes(in: String(decoding: source, as: UTF8.self))
        if attributes {
            try FileSystem.setExtendedAttribute(Array("user.comment".utf8), value: Array("a note".utf8), of: FilePath(bytes: path("plain.txt")))
            try FileSystem.setExtendedAttribute(Array("user.binary".utf8), value: [0, 1, 2, 255], of: FilePath(bytes: path("plain.txt")))
            try FileSystem.setExtendedAttribute(Array("user.empty".utf8), value: [], of: FilePath(bytes: path("links/a")))
            try FileSystem.setExtendedAttribute(Array("user.dir".utf8), value: Array("yes".utf8), of: FilePath(bytes: path("dir-empty")))
        }
        // Directory times last: creating entries changes them.
        try TestFiles.setTime(path("dir-empty"), seconds: 946_684_800, nanoseconds: 1)
        try TestFiles.setTime(path("links/sub"), seconds: 1_500_000_000, nanoseconds: 999_999_999)
        return attributes
    }

    @Test("every kind of entry comes back: contents, modes, times, owners, links, holes, odd names, attributes")
    func everyKind() async throws {
        let fixture = try await RestoreFixture()
        let source = TestFiles.bytes(fixture.scratch.appending("src"))
        let hasAttributes = try Self.buildTree(at: source)
        try await fixture.backup([String(decoding: source, as: UTF8.self)])

        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore(into: target)
        #expect(result.problems == [])
        let restored = TestFiles.bytes(target) + source
        let differences = try TreeComparison().differences(source, restored)
        #expect(differences == [])

        #expect(result.summary.hardLinks == 4)
        #expect(result.summary.symbolicLinks == 4)
        #expect(result.summary.specialFiles == (restoreTestsRunAsRoot ? 4 : 2))
        #expect(result.summary.filesUnchanged == 0)
        // The all-zero chunks of the hole were not written.
        let sparse = try TestFiles.status(TestFiles.join(restored, TestFiles.bytes("sparse.img")))
        #expect(sparse.size == 20 << 20)
        #expect(sparse.blocks * 512 < 8 << 20, "\(sparse.blocks) blocks")
        #expect(result.summary.bytesWritten < result.summary.bytesRestored - (10 << 20))
        // The extended attributes came back, when the file system has them.
        let comment = try FileSystem.extendedAttributes(of: FilePath(bytes: TestFiles.join(restored, TestFiles.bytes("plain.txt"))))
        #expect(comment.contains { $0.name == Array("user.comment".utf8) && $0.value == Array("a note".utf8) } == hasAttributes)
        // The target's own ancestors came from the snapshot too (the root tree mirrors `/`).
        #expect(try TestFiles.status(TestFiles.bytes(target + "/tmp")).type == .directory)
        // No temporary file is left.
        #expect(try TestFiles.walk(TestFiles.bytes(target)).allSatisfy { !$0.split(separator: UInt8(ascii: "/")).last!.starts(with: Array(".vault-restore-".utf8)) })
    }

    @Test("ID:PATH puts the contents of PATH into the target; a file path restores that file")
    func subpath() async throws {
        let fixture = try await RestoreFixture(encrypted: false)
        let source = fixture.scratch.appending("home")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        try TestFiles.makeDirectory(TestFiles.join(source, "docs"))
        try TestFiles.write(TestFiles.join(source, "docs/letter.txt"), Array("dear ada".utf8))
        try TestFiles.write(TestFiles.join(source, "top.txt"), Array("top".utf8))
        let snapshot = try await fixture.backup([source])

        let whole = fixture.scratch.appending("whole")
        let result = try await fixture.restore("\(snapshot.hex.prefix(10)):\(source)", into: whole)
        #expect(result.problems == [])
        #expect(try TestFiles.names(TestFiles.bytes(whole)) == [Array("docs".utf8), Array("top.txt".utf8)])
        #expect(try TestFiles.read(TestFiles.join(whole, "docs/letter.txt")) == Array("dear ada".utf8))
        let differences = try TreeComparison().differences(TestFiles.bytes(source), TestFiles.bytes(whole))
        #expect(differences == [])

        let single = fixture.scratch.appending("single")
        _ = try await fixture.restore("latest:\(source)/docs/letter.txt", into: single)
        #expect(try TestFiles.names(TestFiles.bytes(single)) == [Array("letter.txt".utf8)])
        #expect(try TestFiles.read(TestFiles.join(single, "letter.txt")) == Array("dear ada".utf8))

        await #expect(throws: OperationError.self) {
            try await fixture.restore("latest:\(source)/nothing-here", into: fixture.scratch.appending("none"))
        }
    }

    @Test("files larger than a pack, and chunks shared by many files and repeated in one")
    func sharedChunks() async throws {
        let fixture = try await RestoreFixture(compression: .none)
        let source = fixture.scratch.appending("shared")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        let block = TestFiles.random(200_000, seed: 9)
        // Identical files, a file that repeats the same content, and a 5 MiB file spanning several packs.
        for index in 0..<20 {
            try TestFiles.write(TestFiles.join(source, "copy-\(index)"), block)
        }
        try TestFiles.write(TestFiles.join(source, "repeated"), Array([[UInt8]](repeating: block, count: 8).joined()))
        try TestFiles.write(TestFiles.join(source, "large"), TestFiles.random(5 << 20, seed: 10))
        try await fixture.backup([source])
        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore("latest:\(source)", into: target)
        #expect(result.problems == [])
        #expect(result.summary.filesRestored == 22)
        let differences = try TreeComparison().differences(TestFiles.bytes(source), TestFiles.bytes(target))
        #expect(differences == [])
    }

    @Test("a directory with many entries, which the lanes share")
    func largeDirectory() async throws {
        let fixture = try await RestoreFixture(encrypted: false)
        let source = fixture.scratch.appending("many")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        for index in 0..<600 {
            try TestFiles.write(TestFiles.join(source, "file-\(index)"), TestFiles.random(index * 37, seed: UInt64(index)))
        }
        for index in 0..<40 {
            try TestFiles.symlink(TestFiles.join(source, "link-\(index)"), to: TestFiles.bytes("file-\(index)"))
        }
        try await fixture.backup([source])
        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore("latest:\(source)", into: target)
        #expect(result.problems == [])
        #expect(result.summary.filesRestored == 600)
        let differences = try TreeComparison().differences(TestFiles.bytes(source), TestFiles.bytes(target))
        #expect(differences == [])
    }

    @Test("lanes: a directory's entries go to one lane, the least loaded; a large directory's to all in turn")
    func laneAssignment() {
        var plan = RestorePlan()
        func file(_ directory: Int) -> RestorePlan.File {
            RestorePlan.File(directory: directory, name: [], node: TreeNode(name: [1], type: .file), size: 0, remaining: 0)
        }
        plan.files = (0..<300).map { _ in file(7) } + [file(1), file(2), file(2), file(3)]
        var assignment = RestoreLaneAssignment(plan, lanes: 2)
        #expect(assignment.lane(for: 1, cost: 10) == 0)
        #expect(assignment.lane(for: 2, cost: 1) == 1)
        #expect(assignment.lane(for: 2, cost: 1) == 1)
        #expect(assignment.lane(for: 3, cost: 1) == 1)
        #expect(assignment.lane(for: 1, cost: 1) == 0)
        #expect((0..<6).map { _ in assignment.lane(for: 7, cost: 1) } == [0, 1, 0, 1, 0, 1])
    }
}
