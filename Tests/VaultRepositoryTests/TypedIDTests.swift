import Foundation
import Testing
import VaultCodecs
import VaultRepository
import VaultStorage

/// Object IDs of distinct types, and blob keys.
@Suite("typed IDs")
struct TypedIDTests {
    @Test("object IDs parse, print and code as the 64 hex digits of their digest")
    func objectIDs() throws {
        let digest = SHA256Hasher.hash(Array("pack".utf8))
        let pack = PackID(digest)
        #expect(PackID(hex: digest.hex) == pack)
        #expect(PackID(hex: "readme") == nil)
        #expect(pack.hex == digest.hex && pack.shortHex == digest.shortHex && "\(pack)" == digest.hex)
        #expect(PackID(hex: String(repeating: "0", count: 64)) == .zero)
        let encoded = try JSONEncoder().encode([SnapshotID(digest)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(digest.hex)\"]")
        #expect(try JSONDecoder().decode([SnapshotID].self, from: encoded) == [SnapshotID(digest)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SnapshotID].self, from: Data("[\"xyz\"]".utf8)) }
    }

    @Test("blob keys order by ID, then data before tree, and differ by type")
    func blobKeys() {
        let low = Digest256(words: (1, 0, 0, 0))
        let high = Digest256(words: (2, 0, 0, 0))
        #expect(BlobKey.data(low) != BlobKey.tree(low))
        #expect([BlobKey.tree(high), .data(high), .tree(low), .data(low)].sorted() == [.data(low), .tree(low), .data(high), .tree(high)])
        #expect(Set([BlobKey.data(low), .tree(low), .data(low)]).count == 2)
        #expect("\(BlobKey.tree(high))" == "tree \(high.shortHex)")
    }

    @Test("a stray file in keys/ that is not a key ID is left out of the key list instead of trapping")
    func strayKeyFile() async throws {
        let test = try await TestRepository(password: "first")
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: test.directory.appending("repo/keys/readme")))
        let keys = try await test.repository.keyFiles()
        #expect(keys.count == 1)
        let current = try await test.repository.keyFileID(openedBy: "first")
        #expect(keys.map(\.id) == [current])
    }
}

@Suite("RepositoryError keeps its cause")
struct RepositoryErrorCauseTests {
    @Test("a wrapped storage failure keeps the storage error's code and message")
    func keepsCause() {
        let storage = StorageError(.notFound, name: nil, message: "no such object")
        let wrapped = RepositoryError(storage)
        #expect(wrapped.code == .storage)
        #expect(wrapped.message == "no such object")
        #expect(wrapped.cause?.code == .notFound)
        #expect(RepositoryError(.damaged, "x").cause == nil)
    }
}
