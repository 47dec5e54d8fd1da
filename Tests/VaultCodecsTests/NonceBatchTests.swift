import Testing
@testable import VaultCodecs
import VaultPOSIX

// Serialized: one test changes the process-wide fork generation.
@Suite(.serialized) struct NonceBatchTests {
    @Test func noncesAreDistinctAcrossRefills() {
        let batch = NonceBatch()
        var seen = Set<[UInt8]>()
        var nonce = [UInt8](repeating: 0, count: 12)
        for _ in 0..<(NonceBatch.count * 3 + 7) {
            nonce.withUnsafeMutableBytes { batch.fill($0) }
            seen.insert(nonce)
        }
        #expect(seen.count == NonceBatch.count * 3 + 7)
        #expect(batch.remainingCount == NonceBatch.count - 7)
    }

    @Test func forkGenerationChangeDiscardsTheBatch() {
        let batch = NonceBatch()
        var nonce = [UInt8](repeating: 0, count: 12)
        nonce.withUnsafeMutableBytes { batch.fill($0) }
        #expect(batch.remainingCount == NonceBatch.count - 1)
        // What the fork handler does in a child process.
        ForkObserver.recordFork()
        nonce.withUnsafeMutableBytes { batch.fill($0) }
        #expect(batch.remainingCount == NonceBatch.count - 1)
    }

    @Test func sealedMessagesCarryDistinctNonces() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let nonces = Set((0..<1000).map { _ in Array(cipher.seal([1, 2, 3]).prefix(12)) })
        #expect(nonces.count == 1000)
    }
}
