import Foundation
import Testing
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// `vault snapshots` filters and `vault ls` listings of real backups.
@Suite("Browse: snapshots and ls")
struct BrowseListingTests {
    @Test("filters by host, tag (any of) and path (all of) combine")
    func snapshotFilters() async throws {
        let fixture = try await BrowseFixture()
        try fixture.write("a.txt", "a")
        try fixture.makeDirectory("other")
        try fixture.write("other/b.txt", "b")
        let first = try await fixture.backup(host: "alpha", tags: ["daily"])
        let second = try await fixture.backup(host: "beta", tags: ["weekly"])
        let third = try await fixture.backup(host: "alpha", tags: ["daily", "weekly"], paths: [fixture.path(""), fixture.directory + "/repo/config"])
        let fourth = try await fixture.backup(host: "gamma", paths: [fixture.path("other")])
        let snapshots = try await fixture.snapshots()
        #expect(snapshots.map(\.id) == [first.snapshotID, second.snapshotID, third.snapshotID, fourth.snapshotID])

        func ids(_ filter: SnapshotFilter) -> [SnapshotID] { filter.apply(to: snapshots).map(\.id) }
        #expect(ids(SnapshotFilter()) == snapshots.map(\.id))
        #expect(ids(SnapshotFilter(hosts: ["alpha"])) == [first.snapshotID, third.snapshotID])
        #expect(ids(SnapshotFilter(hosts: ["alpha", "gamma"])) == [first.snapshotID, third.snapshotID, fourth.snapshotID])
        #expect(ids(SnapshotFilter(tags: ["weekly"])) == [second.snapshotID, third.snapshotID])
        #expect(ids(SnapshotFilter(tags: ["daily", "weekly"])) == [first.snapshotID, second.snapshotID, third.snapshotID])
        #expect(ids(SnapshotFilter(hosts: ["alpha"], tags: ["weekly"])) == [third.snapshotID])
        #expect(ids(SnapshotFilter(hosts: ["beta"], tags: ["daily"])).isEmpty)
        #expect(ids(SnapshotFilter(tags: ["monthly"])).isEmpty)
        // Paths are normalized like backup's, and all of them must be included.
        #expect(ids(SnapshotFilter(paths: [fixture.source + "/"])) == [first.snapshotID, second.snapshotID, third.snapshotID])
        #expect(ids(SnapshotFilter(paths: ["src/./other/.."], workingDirectory: Array(fixture.directory.utf8))) == [first.snapshotID, second.snapshotID, third.snapshotID])
        #expect(ids(SnapshotFilter(paths: [fixture.source, fixture.directory + "/repo/config"])) == [third.snapshotID])
        #expect(ids(SnapshotFilter(hosts: ["gamma"], paths: [fixture.path("other")])) == [fourth.snapshotID])
    }

    /// A source tree with a non-UTF-8 name, a newline in a name, a symlink and a subdirectory.
    private func makeListingTree(_ fixture: BrowseFixture) throws {
        try fixture.write("a.txt", "alpha")
        try fixture.write(name: [0x62, 0xFF], in: "", Array("not UTF-8".utf8))
        try fixture.symlink("l", to: "a.txt")
        try fixture.write("new\nline", "two lines")
        try fixture.makeDirectory("sub")
        try fixture.write("sub/s.txt", "inside")
    }

    @Test("ls lists one level, escaped, in byte order; --recursive lists everything")
    func listing() async throws {
        let fixture = try await BrowseFixture()
        try makeListingTree(fixture)
        let snapshot = try await fixture.backup().snapshotID
        let trees = try await fixture.trees()
        let browser = SnapshotBrowser(trees: trees)
        let source = fixture.source

        func list(_ reference: String, recursive: Bool) async throws -> [String] {
            let location = try await SnapshotLocation(try SnapshotReference(parsing: reference), in: try await fixture.snapshots(), trees: trees)
            var lines: [String] = []
            try await browser.list(location.entry, recursive: recursive) { lines.append($0.printablePath) }
            return lines
        }

        let top = "/" + source.split(separator: "/")[0]
        #expect(try await list(snapshot.hex, recursive: false) == [top])
        #expect(try await list("latest:/", recursive: false) == [top])
        let entries = ["\(source)/a.txt", #"\#(source)/b\xff"#, "\(source)/l", #"\#(source)/new\nline"#, "\(source)/sub"]
        #expect(try await list("\(snapshot.shortHex):\(source)", recursive: false) == entries)
        #expect(try await list("\(snapshot.shortHex):\(source)/", recursive: true) == entries + ["\(source)/sub/s.txt"])
        #expect(try await list("latest:\(source)/sub", recursive: false) == ["\(source)/sub/s.txt"])
        // A file lists itself.
        #expect(try await list("latest:\(source)/sub/s.txt", recursive: true) == ["\(source)/sub/s.txt"])

        // The whole snapshot, recursively: the directories on the way to src, then src's tree.
        let everything = try await list("latest", recursive: true)
        #expect(everything.count == fixture.sourceDepth + entries.count + 1)
        #expect(everything.suffix(entries.count + 1) == ArraySlice(entries + ["\(source)/sub/s.txt"]))
    }

    @Test("ls --long shows the symlink's target and the recorded metadata")
    func longListing() async throws {
        let fixture = try await BrowseFixture()
        try makeListingTree(fixture)
        try fixture.setMode("a.txt", 0o640)
        let snapshot = try await fixture.backup().snapshotID

        let link = try await fixture.locate(snapshot, "l")
        #expect(link.entry.node.type == .symlink)
        let linkLine = link.entry.longLine(in: .utc)
        #expect(linkLine.hasPrefix("lrwxrwxrwx  "))
        #expect(linkLine.hasSuffix("  \(fixture.source)/l -> a.txt"))

        let file = try await fixture.locate(snapshot, "a.txt")
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path("a.txt"))
        let mtime = try #require(attributes[.modificationDate] as? Date)
        let time = DisplayTime.format(Timestamp(nanoseconds: Int64(mtime.timeIntervalSince1970) * 1_000_000_000), in: .utc)
        let line = file.entry.longLine(in: .utc)
        #expect(line.hasPrefix("-rw-r-----  "))
        #expect(line.hasSuffix("             5  \(time)  \(fixture.source)/a.txt"))
        let owner = file.entry.node.user.isEmpty ? String(getuid()) : file.entry.node.user
        #expect(line.contains("  \(owner) "))

        let directory = try await fixture.locate(snapshot, "sub")
        #expect(directory.entry.longLine(in: .utc).hasPrefix("d"))
    }

    @Test("a path not in the snapshot, or through a file, is a one-line error")
    func missingPath() async throws {
        let fixture = try await BrowseFixture()
        try makeListingTree(fixture)
        let snapshot = try await fixture.backup().snapshotID
        for missing in ["nope", "a.txt/below", "sub/s.txt/x"] {
            let error = await #expect(throws: OperationError.self) { try await fixture.locate(snapshot, missing) }
            #expect(error?.code == .pathNotFound)
            #expect(error?.message == "snapshot \(snapshot.shortHex) has no \(fixture.source)/\(missing)")
        }
    }

    @Test("unknown and ambiguous snapshot IDs are .snapshotNotFound")
    func unknownSnapshots() async throws {
        let fixture = try await BrowseFixture()
        try fixture.write("a.txt", "a")
        var ids: [SnapshotID] = []
        // Back up until two snapshot IDs share their first digit (at most 17 backups).
        while Set(ids.map { $0.hex.prefix(1) }).count == ids.count {
            try fixture.write("a.txt", "version \(ids.count)")
            ids.append(try await fixture.backup().snapshotID)
        }
        let counts = Dictionary(grouping: ids, by: { String($0.hex.prefix(1)) })
        let shared = try #require(counts.first { $0.value.count > 1 })
        let ambiguous = await #expect(throws: OperationError.self) { try await fixture.locate(shared.key) }
        #expect(ambiguous?.code == .snapshotNotFound)
        #expect(ambiguous?.message == "snapshot ID \(shared.key) is ambiguous: it matches \(shared.value.count) snapshots; give more digits")

        let unknownID = String(repeating: "0", count: 63) + "1"
        if !ids.contains(where: { $0.hex == unknownID }) {
            let unknown = await #expect(throws: OperationError.self) { try await fixture.locate(unknownID) }
            #expect(unknown?.code == .snapshotNotFound)
            #expect(unknown?.message == "no snapshot \(unknownID)")
        }
        // The full ID, and a prefix of it long enough to be unique, work.
        let last = try #require(ids.last)
        #expect(try await fixture.locate(last.hex).id == last)
        #expect(try await fixture.locate(String(last.hex.prefix(16))).id == last)
    }
}
