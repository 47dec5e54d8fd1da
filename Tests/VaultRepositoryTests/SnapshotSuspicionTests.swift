import Foundation
import Testing
import VaultCodecs
import VaultRepository

@Suite("Snapshot suspicion field")
struct SnapshotSuspicionTests {
    private func manifest() -> SnapshotManifest {
        SnapshotManifest(
            time: Timestamp(nanoseconds: 1_764_176_523_000_000_001), host: "h", user: "u", paths: ["/a"], tags: [],
            kind: .incremental, parent: SnapshotID(SHA256Hasher.hash([1])), base: nil, tree: SHA256Hasher.hash([3]),
            incomplete: false, summary: SnapshotSummary(), program: "vault test"
        )
    }

    @Test("a suspect manifest round trips with its counts and examples")
    func roundTrip() throws {
        var manifest = manifest()
        var suspicion = SnapshotSuspicion()
        suspicion.filesExamined = 300
        suspicion.filesSuspicious = 90
        suspicion.becameIncompressible = 80
        suspicion.signatureMismatches = 10
        suspicion.renamed = 90
        suspicion.renamedTo = ["locked"]
        suspicion.examples = ["/a/x.docx.locked"]
        manifest.suspect = suspicion
        let decoded = try SnapshotManifest(decoding: manifest.encoded(), what: "s")
        #expect(decoded == manifest)
        #expect(String(decoding: manifest.encoded(), as: UTF8.self).contains(#""suspect":{"#))
    }

    @Test("a clean manifest has no suspect field, so its bytes are those older versions wrote")
    func absentWhenClean() throws {
        let encoded = String(decoding: manifest().encoded(), as: UTF8.self)
        #expect(!encoded.contains("suspect"))
        #expect(try SnapshotManifest(decoding: manifest().encoded(), what: "s").suspect == nil)
    }

    @Test("readers ignore fields they do not know, as older readers ignore suspect")
    func unknownFieldsIgnored() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(manifest().encoded())) as? [String: Any])
        object["laterField"] = ["anything": [1, 2, 3]]
        let bytes = try JSONSerialization.data(withJSONObject: object)
        #expect(try SnapshotManifest(decoding: Array(bytes), what: "s") == manifest())
    }

    @Test("a damaged suspect field is a clear error, not a crash")
    func damaged() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(manifest().encoded())) as? [String: Any])
        object["suspect"] = ["filesExamined": "many"]
        let bytes = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: RepositoryError.self) { try SnapshotManifest(decoding: Array(bytes), what: "s") }
    }
}
