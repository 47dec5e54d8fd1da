import Foundation
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository

@Suite("Clean snapshots")
struct CleanSnapshotTests {
    typealias Snapshot = (id: SnapshotID, manifest: SnapshotManifest)

    /// A snapshot with an ID made from `number`, taken at `number` seconds.
    static func snapshot(_ number: UInt8, host: String = "laptop", paths: [String] = ["/home/ada"], suspect: Bool = false) -> Snapshot {
        var manifest = SnapshotManifest(
            time: Timestamp(nanoseconds: Int64(number) * 1_000_000_000), host: host, user: "ada", paths: paths, tags: [], kind: .incremental,
            parent: nil, base: nil, tree: Digest256(words: (0, 0, 0, 0)), incomplete: false, summary: SnapshotSummary(),
            program: "test"
        )
        if suspect {
            var suspicion = SnapshotSuspicion()
            suspicion.filesSuspicious = 60
            manifest.suspect = suspicion
        }
        return (SnapshotID(Digest256(words: (UInt64(number), 0, 0, 0))), manifest)
    }

    private func id(_ number: UInt8) -> SnapshotID { Self.snapshot(number).id }

    @Test("without suspect snapshots nothing is protected and the newest of each host and path set is clean")
    func noSuspect() {
        let snapshots = [Self.snapshot(1), Self.snapshot(2), Self.snapshot(3, host: "server"), Self.snapshot(4, paths: ["/home/ada", "/etc"])]
        #expect(cleanSnapshotsToProtect(snapshots).isEmpty)
        #expect(CleanSnapshots.newestClean(in: snapshots).map(\.id) == [id(2), id(3), id(4)])
    }

    @Test("the newest clean snapshot before each suspect one is protected, per host and path set, in any input order")
    func protects() {
        let snapshots = [
            Self.snapshot(7, suspect: true), Self.snapshot(1), Self.snapshot(2), Self.snapshot(3, suspect: true), Self.snapshot(4, suspect: true),
            Self.snapshot(5), Self.snapshot(6), Self.snapshot(8), // laptop: clean 1 2, suspect 3 4, clean-looking 5 6, suspect 7, 8 after
            Self.snapshot(9, host: "server", suspect: true), // no clean predecessor: nothing to protect
            Self.snapshot(10, paths: ["/etc"]), Self.snapshot(11, paths: ["/etc"], suspect: true),
        ]
        let protected = cleanSnapshotsToProtect(snapshots)
        #expect(protected.map(\.id) == [id(2), id(2), id(6), id(10)])
        #expect(protected.map(\.suspectID) == [id(3), id(4), id(7), id(11)])
        // Last clean: before the newest suspect snapshot of each set; the server has none.
        #expect(CleanSnapshots.newestClean(in: snapshots).map(\.id) == [id(6), id(10)])
    }

    @Test("a snapshot after a suspect one is not clean, even when it is not suspect itself")
    func afterSuspect() throws {
        let snapshots = [Self.snapshot(1), Self.snapshot(2, suspect: true), Self.snapshot(3)]
        #expect(CleanSnapshots.newestClean(in: snapshots).map(\.id) == [id(1)])
        let reference = try SnapshotReference(parsing: "last-clean")
        #expect(try reference.resolve(in: snapshots).id == id(1))
        #expect(try SnapshotReference(parsing: "latest").resolve(in: snapshots).id == id(3))
    }

    @Test("a backup's alarm names the newest earlier snapshot of its host and path set that is not suspect")
    func previousClean() {
        let snapshots = [
            Self.snapshot(1), Self.snapshot(2, suspect: true), Self.snapshot(3, host: "server"), Self.snapshot(4, paths: ["/etc"]),
            Self.snapshot(6),
        ]
        let lineage = SnapshotLineage(host: "laptop", paths: ["/home/ada"])
        #expect(CleanSnapshots.previousClean(in: snapshots, lineage: lineage, before: Timestamp(nanoseconds: 5_000_000_000))?.id == id(1))
        #expect(CleanSnapshots.previousClean(in: snapshots, lineage: lineage, before: Timestamp(nanoseconds: 7_000_000_000))?.id == id(6))
        #expect(CleanSnapshots.previousClean(in: snapshots, lineage: lineage, before: Timestamp(nanoseconds: 1_000_000_000)) == nil)
        #expect(SnapshotLineage(host: "h", paths: ["/b", "/a"]) == SnapshotLineage(host: "h", paths: ["/a", "/b"]), "path order does not matter")
    }

    @Test("last-clean parses with a path, and resolves by host and path")
    func reference() throws {
        let reference = try SnapshotReference(parsing: "Last-Clean:/home/ada/thesis")
        #expect(reference.selector == .lastClean)
        #expect(reference.path == Array("/home/ada/thesis".utf8))
        let snapshots = [Self.snapshot(1), Self.snapshot(2, suspect: true), Self.snapshot(3, host: "server"), Self.snapshot(4, host: "server")]
        #expect(try reference.resolve(in: snapshots, host: "laptop").id == id(1))
        #expect(try reference.resolve(in: snapshots, host: "server").id == id(4))
    }

    @Test("last-clean with several host and path sets, none clean, or no snapshot, is a clear error")
    func referenceErrors() throws {
        let reference = try SnapshotReference(parsing: "last-clean")
        let cases: [([Snapshot], String)] = [
            ([Self.snapshot(1), Self.snapshot(2, host: "server\u{1B}[2J")], "ambiguous"),
            ([Self.snapshot(1, suspect: true), Self.snapshot(2)], "no clean snapshot"),
            ([], "no snapshot"),
        ]
        for (snapshots, message) in cases {
            do {
                _ = try reference.resolve(in: snapshots)
                Issue.record("resolved \(message)")
            } catch {
                #expect(error.code == .snapshotNotFound)
                #expect(error.message.contains(message), "\(error.message)")
                #expect(!error.message.contains("\u{1B}"), "host names are escaped")
            }
        }
        #expect(throws: OperationError.self) { try SnapshotReference(parsing: "last-dirty") }
    }
}
