import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
import VaultStorage
@testable import VaultOperations

/// Hard-link groups cut by the selection, and trees no backup writes:
/// over-deep nesting, and chunks whose recorded length lies.
@Suite("restore: partial hard-link groups and crafted trees")
struct RestoreCraftedTreeTests {
    /// `a/{f, h, i}` and `b/g`, where `b/g` and `a/f` are one file and `a/h`, `a/i` another.
    static func linkedTree() async throws -> (RestoreFixture, String) {
        let fixture = try await RestoreFixture(encrypted: false)
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        try TestFiles.makeDirectory(TestFiles.join(source, "a"))
        try TestFiles.makeDirectory(TestFiles.join(source, "b"))
        try TestFiles.write(TestFiles.join(source, "a/f"), TestFiles.random(90_000, seed: 1))
        try TestFiles.link(TestFiles.join(source, "a/f"), TestFiles.join(source, "b/g"))
        try TestFiles.write(TestFiles.join(source, "a/h"), Array("h and i".utf8))
        try TestFiles.link(TestFiles.join(source, "a/h"), TestFiles.join(source, "a/i"))
        try await fixture.backup([source])
        return (fixture, source)
    }

    @Test("a hard link whose group's first name is not selected is restored whole", arguments: ["include", "path", "exclude"])
    func partialGroup(how: String) async throws {
        let (fixture, source) = try await Self.linkedTree()
        let target = fixture.scratch.appending("target")
        let result: RestoreResult
        let restored: String
        switch how {
        case "include":
            result = try await fixture.restore("latest:\(source)", into: target) { try $0.selection.include("g") }
            restored = target + "/b/g"
        case "path":
            result = try await fixture.restore("latest:\(source)/b", into: target)
            restored = target + "/g"
        default:
            result = try await fixture.restore("latest:\(source)", into: target) { try $0.selection.exclude("a") }
            restored = target + "/b/g"
        }
        #expect(result.problems == [], "\(result.problems.map(\.message))")
        #expect(try TestFiles.read(TestFiles.bytes(restored)) == TestFiles.random(90_000, seed: 1))
        #expect(try TestFiles.status(TestFiles.bytes(restored)).linkCount == 1)
        #expect(result.summary.filesRestored == 1 && result.summary.hardLinks == 0)
    }

    @Test("one name of a group selected within its directory: restored alone; both: linked")
    func partialGroupInOneDirectory() async throws {
        let (fixture, source) = try await Self.linkedTree()
        let one = fixture.scratch.appending("one")
        let result = try await fixture.restore("latest:\(source)/a", into: one) { try $0.selection.include("i") }
        #expect(result.problems == [])
        #expect(try TestFiles.names(TestFiles.bytes(one)) == [Array("i".utf8)])
        #expect(try TestFiles.read(TestFiles.join(one, "i")) == Array("h and i".utf8))
        let both = fixture.scratch.appending("both")
        _ = try await fixture.restore("latest:\(source)/a", into: both)
        let h = try TestFiles.status(TestFiles.join(both, "h"))
        let i = try TestFiles.status(TestFiles.join(both, "i"))
        #expect(h.inode == i.inode && h.linkCount == 2)
        #expect(try TestFiles.status(TestFiles.join(both, "f")).linkCount == 1, "f's other name, b/g, is not restored")
    }

    @Test("directories nested deeper than 4096 levels: the rest is left out and reported, no crash, nothing deleted")
    func tooDeep() async throws {
        let fixture = try await RestoreFixture(encrypted: false)
        var writer = RepositoryWriter(repository: fixture.repository, index: try await fixture.repository.loadIndex().chunks)
        let crafted = CraftedSnapshot(repository: fixture.repository)
        var tree = try await writer.add(try Tree(nodes: [try await crafted.file("bottom", Array("deep".utf8))]))
        let levels = RestorePlanner.maximumDepth + 10
        for _ in 0..<levels {
            tree = try await writer.add(try Tree(nodes: [crafted.directory("d", tree: tree)]))
        }
        let top = try await writer.add(try Tree(nodes: [crafted.directory("deep", tree: tree), try await crafted.file("keep", [1])]))
        try await writer.flush()
        let snapshot = try await crafted.save(root: top)

        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore(snapshot.hex, into: target) { $0.deletesExtraneous = true }
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.reason.contains("nest deeper than 4096 levels") == true, "\(result.problems.first?.reason ?? "")")
        #expect(result.problems.first?.reason.contains("left untouched") == true)
        #expect(try TestFiles.read(TestFiles.join(target, "keep")) == [1])
        // 4096 levels were restored (walked with descriptors, never by path).
        #expect(result.summary.directories >= RestorePlanner.maximumDepth - 1)
    }

    @Test("a chunk whose recorded length in the index lies is reported; the file is not written wrong")
    func rawLengthLies() async throws {
        let fixture = try await RestoreFixture(encrypted: false)
        let crafted = CraftedSnapshot(repository: fixture.repository)
        let honest = try await crafted.file("honest", Array("honest contents".utf8))
        let liar = try await crafted.file("liar", TestFiles.random(5000, seed: 9))
        let snapshot = try await crafted.save(root: try await crafted.tree([honest, liar]))

        // Rewrite the index with the liar's chunk claiming twice its length.
        let loaded = try await fixture.repository.loadIndex()
        let chunk = liar.content[0]
        var packs: [PackID: [IndexFile.Blob]] = [:]
        for (key, location) in loaded.chunks {
            packs[location.pack, default: []].append(IndexFile.Blob(
                id: key.id, type: key.type, offset: location.offset, length: location.length,
                rawLength: key == .data(chunk) ? location.rawLength * 2 : location.rawLength))
        }
        let lying = IndexFile(packs: try packs.map { pack, blobs in
            IndexFile.Pack(id: pack, size: try #require(loaded.packSizes[pack]), blobs: blobs.sorted { $0.offset < $1.offset })
        })
        for file in loaded.files {
            try await fixture.repository.storage.delete(try ObjectName(kind: .index, name: file.hex))
        }
        _ = try await fixture.repository.saveIndex(lying)

        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore(snapshot.hex, into: target)
        #expect(Set(result.problems.map(\.path)) == [target + "/liar"], "\(result.problems.map(\.message))")
        #expect(result.problems.contains { $0.reason.contains("5000 bytes where the index says 10000") }, "\(result.problems.map(\.message))")
        #expect(!TestFiles.exists(TestFiles.join(target, "liar")))
        #expect(try TestFiles.read(TestFiles.join(target, "honest")) == Array("honest contents".utf8))
    }
}
