import Testing
@testable import VaultCodecs

@Suite struct SecureRandomTests {
    @Test func bytesHaveTheRequestedCount() {
        #expect(SecureRandom.bytes(0).isEmpty)
        #expect(SecureRandom.bytes(1).count == 1)
        #expect(SecureRandom.bytes(4096).count == 4096)
    }

    @Test func drawsDiffer() {
        // Two equal 32-byte draws would mean a broken generator (chance 2^-256).
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test func fillOverwritesTheWholeBuffer() {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        buffer.withUnsafeMutableBytes { SecureRandom.fill($0) }
        // All 256 byte values appear in 64 KiB of random bytes (miss chance < 2^-300).
        #expect(Set(buffer).count == 256)
        SecureRandom.fill(UnsafeMutableRawBufferPointer(start: nil, count: 0))
    }
}
