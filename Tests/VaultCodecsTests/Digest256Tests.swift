import Testing
import VaultTestSupport
@testable import VaultCodecs

@Suite struct Digest256Tests {
    static let abcHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    @Test func hexRoundTrip() throws {
        let digest = try #require(Digest256(hex: Self.abcHex))
        #expect(digest.hex == Self.abcHex)
        #expect(digest.description == Self.abcHex)
        #expect(digest.shortHex == "ba7816bf")
        #expect(Digest256(hex: Self.abcHex.uppercased()) == digest)
        #expect(Digest256(hex: Self.abcHex[...]) == digest)
    }

    @Test func bytesRoundTrip() throws {
        let bytes = hexBytes(Self.abcHex)
        let digest = try #require(Digest256(bytes: bytes))
        #expect(digest.bytes == bytes)
        #expect(digest == SHA256Hasher.hash(Array("abc".utf8)))
        let viaPointer = bytes.withUnsafeBytes { Digest256(bytes: $0) }
        #expect(viaPointer == digest)
        // A slice (contiguous) and a lazy collection (not contiguous).
        #expect(Digest256(bytes: ([0] + bytes)[1...]) == digest)
        #expect(Digest256(bytes: bytes.lazy.map { $0 }) == digest)
        var written = [UInt8](repeating: 0, count: 40)
        written.withUnsafeMutableBytes { digest.write(to: $0) }
        #expect(Array(written[..<32]) == bytes)
        #expect(written[32...].allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        "", "00", String(repeating: "0", count: 63), String(repeating: "0", count: 65),
        String(repeating: "0", count: 63) + "g", String(repeating: "0", count: 63) + " ",
        String(repeating: "é", count: 32),
    ])
    func invalidHexIsRejected(_ text: String) {
        #expect(Digest256(hex: text) == nil)
    }

    @Test(arguments: [0, 1, 31, 33, 64])
    func wrongByteCountIsRejected(_ count: Int) {
        #expect(Digest256(bytes: [UInt8](repeating: 1, count: count)) == nil)
    }

    @Test func zeroIsAllZeroBytes() {
        #expect(Digest256.zero.bytes == [UInt8](repeating: 0, count: 32))
        #expect(Digest256.zero.hex == String(repeating: "0", count: 64))
    }

    @Test func orderIsByteOrder() throws {
        var generator = SplitMix64(seed: 42)
        var samples: [[UInt8]] = (0..<200).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        // Digests that differ only late, and only in one byte, too.
        samples.append([UInt8](repeating: 0, count: 31) + [1])
        samples.append([UInt8](repeating: 0, count: 32))
        samples.append([0x80] + [UInt8](repeating: 0, count: 31))
        samples.append([0x7f] + [UInt8](repeating: 0xff, count: 31))
        let digests = try samples.map { try #require(Digest256(bytes: $0)) }
        let byDigest = digests.sorted().map(\.bytes)
        let byBytes = samples.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(byDigest == byBytes)
        #expect(Digest256.zero < digests[0] || digests[0] == .zero)
    }

    @Test func hashableDistinguishesDigests() throws {
        let digests = (0..<100).map { SHA256Hasher.hash([UInt8($0)]) }
        #expect(Set(digests).count == 100)
        let a = try #require(Digest256(hex: Self.abcHex))
        let b = try #require(Digest256(bytes: hexBytes(Self.abcHex)))
        #expect(Set([a, b]).count == 1)
    }
}
