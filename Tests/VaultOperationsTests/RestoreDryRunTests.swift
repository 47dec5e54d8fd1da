import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// Planning a restore changes nothing; `--dry-run` shows the plan (what
/// would be written, replaced and deleted) and the real restore then does
/// exactly that.
@Suite("restore: dry run")
struct RestoreDryRunTests {
    /// Every entry below `root` with its type, size, mode, times and contents: equal when nothing changed.
    static func state(_ root: String) throws -> [String] {
        var lines: [String] = []
        for relative in try TestFiles.walk(TestFiles.bytes(root)) {
            let path = TestFiles.join(TestFiles.bytes(root), relative)
            let status = try TestFiles.status(path)
            var line = "\(String(decoding: relative, as: UTF8.self)) \(status.type) \(status.size) \(String(status.permissions, radix: 8)) "
                + "\(status.modificationTime) \(status.inode)"
            if status.type == .regular {
                // Read with O_NOATIME; a directory's access time changes when it is listed, by this function too.
                line += " \(String(describing: TestFiles.accessTime(path))) \(SHA256Hasher.hash(try TestFiles.read(path)).hex)"
            }
            lines.append(line)
        }
        return lines
    }

    /// A snapshot of `{a.txt, same.txt, sub/b.txt, link → a.txt, newdir/c.txt}` and a target holding an old
    /// `a.txt`, a matching `same.txt`, a file where `sub` goes, a directory where `link` goes, `extra.txt`,
    /// `extra-dir/{x, y}` and a temporary file an interrupted restore left.
    struct Setup {
        let fixture: RestoreFixture
        let source: String
        let target: String

        init() async throws {
            fixture = try await RestoreFixture()
            source = fixture.scratch.appending("src")
            target = fixture.scratch.appending("target")
            try TestFiles.makeDirectory(TestFiles.bytes(source))
            try TestFiles.write(TestFiles.join(source, "a.txt"), TestFiles.random(70_000, seed: 1))
            try TestFiles.write(TestFiles.join(source, "same.txt"), Array("same".utf8))
            try TestFiles.setTime(TestFiles.join(source, "same.txt"), seconds: 1_600_000_000, nanoseconds: 0)
            try TestFiles.makeDirectory(TestFiles.join(source, "sub"))
            try TestFiles.write(TestFiles.join(source, "sub/b.txt"), Array("b".utf8))
            try TestFiles.symlink(TestFiles.join(source, "link"), to: TestFiles.bytes("a.txt"))
            try TestFiles.makeDirectory(TestFiles.join(source, "newdir"))
            try TestFiles.write(TestFiles.join(source, "newdir/c.txt"), Array("c".utf8))
            try await fixture.backup([source])

            try TestFiles.makeDirectory(TestFiles.bytes(target))
            try TestFiles.write(TestFiles.join(target, "a.txt"), Array("old a".utf8))
            try TestFiles.write(TestFiles.join(target, "same.txt"), Array("same".utf8))
            try TestFiles.setTime(TestFiles.join(target, "same.txt"), seconds: 1_600_000_000, nanoseconds: 0)
            try TestFiles.write(TestFiles.join(target, "sub"), Array("a file where a directory goes".utf8))
            try TestFiles.makeDirectory(TestFiles.join(target, "link"))
            try TestFiles.write(TestFiles.join(target, "link/inside"), [1])
            try TestFiles.write(TestFiles.join(target, "extra.txt"), Array("extra".utf8))
            try TestFiles.makeDirectory(TestFiles.join(target, "extra-dir"))
            try TestFiles.write(TestFiles.join(target, "extra-dir/x"), [1])
            try TestFiles.write(TestFiles.join(target, "extra-dir/y"), [2])
            try TestFiles.write(TestFiles.join(target, ".vault-restore-abc-0-1"), [3])
        }

        func restore(dryRun: Bool, _ configure: (inout RestoreOptions) -> Void = { _ in }) async throws -> RestoreResult {
            try await fixture.restore("latest:\(source)", into: target) { options in
                options.isDryRun = dryRun
                options.deletesExtraneous = true
                options.overwrite = .ifChanged
                configure(&options)
            }
        }
    }

    @Test("a dry run changes nothing and lists what would be written, replaced and deleted")
    func dryRunChangesNothing() async throws {
        let setup = try await Setup()
        let before = try Self.state(setup.target)
        let result = try await setup.restore(dryRun: true)
        #expect(try Self.state(setup.target) == before)
        #expect(result.problems == [])
        let preview = try #require(result.preview)
        let t = setup.target
        #expect(preview.items.map(\.line) == [
            "delete \(t)/.vault-restore-abc-0-1",
            "replace \(t)/a.txt",
            "delete \(t)/extra-dir/",
            "delete \(t)/extra.txt",
            "replace \(t)/link",
            "write \(t)/newdir/",
            "write \(t)/newdir/c.txt",
            "replace \(t)/sub/",
            "write \(t)/sub/b.txt",
        ])
        #expect(preview.entriesDeleted == 4, "extra.txt, extra-dir and its two files")
        #expect(preview.bytesToWrite == 70_000 + 2)
        #expect(result.summary.filesUnchanged == 1)
        #expect(result.summary.filesRestored == 0 && result.summary.entriesDeleted == 0)
    }

    @Test("the restore then does what the dry run said")
    func restoreMatchesPreview() async throws {
        let setup = try await Setup()
        let preview = try #require(try await setup.restore(dryRun: true).preview)
        let result = try await setup.restore(dryRun: false)
        #expect(result.problems == [])
        #expect(result.preview == nil)
        #expect(result.summary.entriesDeleted == preview.entriesDeleted)
        #expect(result.summary.bytesRestored == preview.bytesToWrite)
        #expect(result.summary.filesRestored == preview.items.count { !$0.isDirectory && $0.action != .delete && !$0.path.hasSuffix("/link") })
        #expect(result.summary.symbolicLinks == 1)
        // The target is now the snapshot.
        var comparison = TreeComparison()
        comparison.comparesAttributes = false
        #expect(try comparison.differences(TestFiles.bytes(setup.source), TestFiles.bytes(setup.target)) == [])
        // Planned again, nothing is left to do.
        let again = try #require(try await setup.restore(dryRun: true).preview)
        #expect(again.items.map(\.line) == [], "\(again.items.map(\.line))")
    }

    @Test("a dry run into a missing target creates nothing and lists every entry as written")
    func missingTarget() async throws {
        let setup = try await Setup()
        let target = setup.fixture.scratch.appending("missing/target")
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: target) { $0.isDryRun = true }
        #expect(!FileManager.default.fileExists(atPath: setup.fixture.scratch.appending("missing")))
        let preview = try #require(result.preview)
        #expect(preview.items.allSatisfy { $0.action == .write })
        #expect(preview.items.map(\.path) == ["a.txt", "link", "newdir", "newdir/c.txt", "same.txt", "sub", "sub/b.txt"].map { target + "/" + $0 })
    }

    @Test("with --overwrite never, a dry run lists no replacement; selection patterns are honoured")
    func neverAndSelection() async throws {
        let setup = try await Setup()
        let result = try await setup.restore(dryRun: true) { options in
            options.overwrite = .never
            try? options.selection.exclude("newdir")
        }
        let preview = try #require(result.preview)
        #expect(preview.count(.replace) == 0)
        #expect(!preview.items.contains { $0.path.contains("newdir") })
        #expect(result.summary.entriesKept == 4, "a.txt, same.txt, sub, link")
    }

    @Test("planning a restore does not touch the target: the plan holds the removals")
    func planHoldsRemovals() async throws {
        let setup = try await Setup()
        let before = try Self.state(setup.target)
        var options = RestoreOptions(snapshot: try SnapshotReference(parsing: "latest:\(setup.source)"), target: setup.target)
        options.deletesExtraneous = true
        let repository = setup.fixture.repository
        let index = try await repository.loadIndex().chunks
        let manifest = try #require(try await repository.snapshots().first?.manifest)
        let node = try #require(try await repository.node(at: Array(setup.source.utf8), root: manifest.tree, index: index))
        let planner = RestorePlanner(
            repository: repository, index: index, options: options,
            directories: RestoreDirectories(try RestoreTarget(path: setup.target)), report: RestoreReport(), metadata: RestoreMetadata(),
            interrupt: InterruptFlag())
        try await planner.plan(node, at: Array(setup.source.utf8))
        #expect(try Self.state(setup.target) == before)
        let removals = planner.plan.removals.map { "\($0.reason) \(String(decoding: $0.name, as: UTF8.self))" }.sorted()
        // The directory where the link goes is not in the removals: it goes only once the link is made.
        #expect(removals == ["extraneous extra-dir", "extraneous extra.txt", "inTheWay sub", "leftover .vault-restore-abc-0-1"])
    }

    @Test("paths in dry-run lines and problems are one line each: control bytes and invalid UTF-8 are escaped")
    func hostileNamesEscaped() async throws {
        let fixture = try await RestoreFixture()
        let crafted = CraftedSnapshot(repository: fixture.repository)
        let name = "evil\u{1b}[2J\nline\r"
        var missing = try await crafted.file(name, [1, 2, 3])
        missing.content = [Digest256(words: (5, 5, 5, 5))]
        var invalid = try await crafted.file("x", [4])
        invalid.name = [0x62, 0xFF, 0x0A]
        let snapshot = try await crafted.save(root: try await crafted.tree([missing, invalid]))
        let target = fixture.scratch.appending("target")
        let dry = try await fixture.restore(snapshot.hex, into: target) { $0.isDryRun = true }
        let preview = try #require(dry.preview)
        #expect(preview.items.map(\.line) == ["write \(target)/b\\xff\\n"], "\(preview.items.map(\.line))")
        #expect(dry.problems.map(\.path) == [target + "/evil\\x1b[2J\\nline\\r"])
        for text in preview.items.map(\.line) + dry.problems.map(\.message) {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(text.debugDescription)")
        }
    }
}
