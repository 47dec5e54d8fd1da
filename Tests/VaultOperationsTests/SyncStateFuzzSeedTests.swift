import Foundation
import Testing
import VaultCodecs
import VaultOperations

/// The `sync-state` fuzz target's seeds (`Fixtures/fuzz/sync-state/`,
/// written by hand to docs/format.md's "Sync state file") are what they
/// say: the fuzzer starts from real state files, not from bytes the
/// checksum or the first field already refuses.
@Suite("Sync state: the fuzz seeds")
struct SyncStateFuzzSeedTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz/sync-state")

    private static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// Decodes a file's body with its checksum appended, as the fuzz target does.
    private static func decodeBody(_ name: String) throws -> SyncState? {
        let body = try bytes(name)
        return SyncState(decoding: body + SHA256Hasher.hash(body).bytes)
    }

    @Test("the seed file decodes, re-encodes to its own bytes, and its body with the checksum appended is the same state")
    func seedDecodes() throws {
        let file = try Self.bytes("seed.bin")
        let state = try #require(SyncState(decoding: file))
        #expect(state.encoded() == file)
        #expect(state.snapshots.count == 3)
        #expect(state.identity.host == "laptop")
        #expect(try Self.decodeBody("seed-body.bin") == state)
        #expect(try Self.decodeBody("seed-body-empty.bin") != nil)
    }

    @Test("snapshot names out of order decode to the same state; a flag of 2, a name not UTF-8 and a count past the bytes do not decode")
    func craftedInputs() throws {
        let state = try #require(SyncState(decoding: try Self.bytes("seed.bin")))
        #expect(try Self.decodeBody("crafted-unsorted-names-body.bin") == state)
        #expect(try Self.decodeBody("crafted-flag-2-body.bin") == nil)
        #expect(try Self.decodeBody("crafted-not-utf8-body.bin") == nil)
        #expect(try Self.decodeBody("crafted-count-huge-body.bin") == nil)
        // A damaged checksum is no state.
        var damaged = try Self.bytes("seed.bin")
        damaged[damaged.count - 1] ^= 1
        #expect(SyncState(decoding: damaged) == nil)
    }
}
