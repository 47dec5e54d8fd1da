import Testing
import VaultTestSupport
@testable import VaultCodecs

/// Known answers from FIPS 180-2, appendix B, plus the empty message.
@Suite struct SHA256HasherTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let message: [UInt8]
        let digest: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "empty", message: [],
               digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(name: "abc", message: Array("abc".utf8),
               digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(name: "448-bit", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
               digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(name: "one million a", message: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
               digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test(arguments: vectors)
    func oneShotMatchesFIPSVector(_ vector: Vector) {
        #expect(SHA256Hasher.hash(vector.message).hex == vector.digest)
        let viaPointer = vector.message.withUnsafeBytes { SHA256Hasher.hash($0) }
        #expect(viaPointer.hex == vector.digest)
    }

    @Test(arguments: vectors)
    func streamingMatchesFIPSVector(_ vector: Vector) {
        var hasher = SHA256Hasher()
        hasher.update(vector.message)
        #expect(hasher.finalize().hex == vector.digest)
    }

    @Test func oneMillionAInThousandByteUpdates() {
        var hasher = SHA256Hasher()
        let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(block) }
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(arguments: [1, 3, 7, 31, 63, 64, 65, 127, 1000, 4097])
    func oddSizedPiecesEqualOneShot(pieceSize: Int) {
        let message = pseudoRandomBytes(count: 20_011, seed: UInt64(pieceSize))
        var hasher = SHA256Hasher()
        message.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + pieceSize, bytes.count)
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                offset = end
            }
        }
        #expect(hasher.finalize() == SHA256Hasher.hash(message))
    }

    @Test func emptyUpdatesChangeNothing() {
        var hasher = SHA256Hasher()
        hasher.update([])
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        hasher.update(Array("abc".utf8))
        hasher.update([])
        #expect(hasher.finalize().hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func digestsOfDifferentMessagesDiffer() {
        #expect(SHA256Hasher.hash([0]) != SHA256Hasher.hash([1]))
        #expect(SHA256Hasher.hash([]) != SHA256Hasher.hash([0]))
    }

    @Test func concurrentOneShotsAgree() async {
        let message = pseudoRandomBytes(count: 65_537, seed: 7)
        let expected = SHA256Hasher.hash(message)
        let results = await withTaskGroup(of: Digest256.self, returning: [Digest256].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var last = Digest256.zero
                    for _ in 0..<50 { last = SHA256Hasher.hash(message) }
                    return last
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == expected })
    }
}
