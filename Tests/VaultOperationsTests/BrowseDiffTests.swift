import Testing
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// `vault diff` on real backups: the lines, the summary, and the trees it reads.
@Suite("Browse: diff")
struct BrowseDiffTests {
    /// Compares two locations; returns the lines, the summary and how many trees were read.
    private func diff(
        _ fixture: BrowseFixture, _ old: SnapshotLocation, _ new: SnapshotLocation, metadata: Bool = false
    ) async throws -> (lines: [String], summary: SnapshotDiffSummary, loads: Int) {
        let trees = try await fixture.trees()
        var lines: [String] = []
        let summary = try await SnapshotDiff(trees: trees, includesMetadata: metadata).compare(old.entry, new.entry) { lines.append($0.line) }
        return (lines, summary, trees.loads)
    }

    @Test("added, removed, modified and type-changed entries, in path order, skipping unchanged subtrees")
    func changes() async throws {
        let fixture = try await BrowseFixture()
        try fixture.write("keep.txt", "same")
        try fixture.write("change.txt", "old")
        try fixture.write("gone.txt", "bye")
        try fixture.makeDirectory("dir")
        try fixture.write("dir/inner.txt", "in")
        try fixture.write("flip", "a file, then a directory")
        try fixture.makeDirectory("was-dir/deeper")
        try fixture.write("was-dir/deeper/x", "x")
        try fixture.symlink("link", to: "keep.txt")
        for index in 0..<20 {
            try fixture.makeDirectory("big/d\(index)")
            try fixture.write("big/d\(index)/f", "file \(index)")
        }
        let first = try await fixture.backup().snapshotID

        try fixture.write("change.txt", "new contents")
        try fixture.remove("gone.txt")
        try fixture.write("added.txt", "hi")
        try fixture.makeDirectory("newdir")
        try fixture.write("newdir/x.txt", "x")
        try fixture.remove("flip")
        try fixture.makeDirectory("flip")
        try fixture.write("flip/y", "y")
        try fixture.remove("was-dir")
        try fixture.write("was-dir", "now a file")
        try fixture.remove("link")
        try fixture.symlink("link", to: "change.txt")
        let second = try await fixture.backup().snapshotID

        let source = fixture.source
        let expected = [
            "+ \(source)/added.txt",
            "M \(source)/change.txt",
            "T \(source)/flip/",
            "+ \(source)/flip/y",
            "- \(source)/gone.txt",
            "M \(source)/link",
            "+ \(source)/newdir/",
            "+ \(source)/newdir/x.txt",
            "T \(source)/was-dir",
            "- \(source)/was-dir/deeper/",
            "- \(source)/was-dir/deeper/x",
        ]
        let whole = try await diff(fixture, try await fixture.locate(first.hex), try await fixture.locate(second.hex))
        #expect(whole.lines == expected)
        #expect(whole.summary.added == 4)
        #expect(whole.summary.removed == 3)
        #expect(whole.summary.modified == 2)
        #expect(whole.summary.typeChanged == 2)
        #expect(whole.summary.line == "4 added, 3 removed, 2 modified, 2 type changed")
        // Read: both sides of every level from / down to src, the new flip/ and newdir/ and the old
        // was-dir/ and was-dir/deeper/; never dir/ or big/ (same tree IDs) nor big's 20 subdirectories.
        #expect(whole.loads == 2 * (fixture.sourceDepth + 1) + 4)

        // The same comparison limited to src by :PATH gives the same lines.
        let limited = try await diff(fixture, try await fixture.locate(first, ""), try await fixture.locate(second, ""))
        #expect(limited.lines == expected)

        // And backwards, the opposite changes.
        let backwards = try await diff(fixture, try await fixture.locate(second, ""), try await fixture.locate(first, ""))
        #expect(backwards.lines == [
            "- \(source)/added.txt",
            "M \(source)/change.txt",
            "T \(source)/flip",
            "- \(source)/flip/y",
            "+ \(source)/gone.txt",
            "M \(source)/link",
            "- \(source)/newdir/",
            "- \(source)/newdir/x.txt",
            "T \(source)/was-dir/",
            "+ \(source)/was-dir/deeper/",
            "+ \(source)/was-dir/deeper/x",
        ])
    }

    @Test("identical snapshots: no lines, and a snapshot against itself reads nothing")
    func identical() async throws {
        let fixture = try await BrowseFixture()
        try fixture.makeDirectory("a/b")
        try fixture.write("a/b/c.txt", "c")
        try fixture.write("d.txt", "d")
        let first = try await fixture.backup().snapshotID
        let second = try await fixture.backup(kind: .full).snapshotID
        #expect(first != second)

        let twice = try await diff(fixture, try await fixture.locate(first.hex), try await fixture.locate(second.hex))
        #expect(twice.lines.isEmpty)
        #expect(twice.summary.isEmpty)
        #expect(twice.summary.line == "0 added, 0 removed, 0 modified, 0 type changed")

        let itself = try await diff(fixture, try await fixture.locate(first.hex), try await fixture.locate(first.hex))
        #expect(itself.lines.isEmpty)
        #expect(itself.loads == 0)
    }

    @Test("metadata-only changes are U lines with --metadata, nothing without")
    func metadata() async throws {
        let fixture = try await BrowseFixture()
        try fixture.makeDirectory("dir")
        try fixture.write("dir/file", "contents")
        try fixture.write("other", "unchanged")
        let first = try await fixture.backup().snapshotID
        try fixture.setMode("dir/file", 0o600)
        let second = try await fixture.backup().snapshotID

        let old = try await fixture.locate(first, "")
        let new = try await fixture.locate(second, "")
        let quiet = try await diff(fixture, old, new)
        #expect(quiet.lines.isEmpty)
        #expect(quiet.summary.metadataChanged == 0)

        let loud = try await diff(fixture, old, new, metadata: true)
        #expect(loud.lines == ["U \(fixture.source)/dir/file"])
        #expect(loud.summary.line == "0 added, 0 removed, 0 modified, 0 type changed, 1 metadata changed")
    }

    @Test("two single files compare as entries")
    func files() async throws {
        let fixture = try await BrowseFixture()
        try fixture.write("a", "one")
        try fixture.write("b", "two")
        try fixture.write("c", "one")
        let snapshot = try await fixture.backup().snapshotID
        let a = try await fixture.locate(snapshot, "a")
        let b = try await fixture.locate(snapshot, "b")
        let c = try await fixture.locate(snapshot, "c")
        #expect(try await diff(fixture, a, b).lines == ["M \(fixture.source)/b"])
        #expect(try await diff(fixture, a, c).lines.isEmpty)
    }
}
