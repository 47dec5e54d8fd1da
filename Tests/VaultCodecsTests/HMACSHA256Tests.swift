import Testing
import VaultTestSupport
@testable import VaultCodecs

/// Known answers from RFC 4231, and a cross-check against HMAC's definition.
@Suite struct HMACSHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let message: [UInt8]
        /// The expected tag; RFC 4231 case 5 gives only its first 128 bits.
        let tag: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "case 1", key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8),
               tag: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(name: "case 2", key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8),
               tag: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(name: "case 3", key: [UInt8](repeating: 0xaa, count: 20), message: [UInt8](repeating: 0xdd, count: 50),
               tag: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Vector(name: "case 4", key: Array(1...25), message: [UInt8](repeating: 0xcd, count: 50),
               tag: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Vector(name: "case 5 (truncated to 128 bits)", key: [UInt8](repeating: 0x0c, count: 20),
               message: Array("Test With Truncation".utf8),
               tag: "a3b6167473100ee06e0c796c2955552b"),
        Vector(name: "case 6", key: [UInt8](repeating: 0xaa, count: 131),
               message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               tag: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Vector(name: "case 7", key: [UInt8](repeating: 0xaa, count: 131),
               message: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                   + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
               tag: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: vectors)
    func matchesRFC4231(_ vector: Vector) {
        let mac = HMACSHA256(key: vector.key)
        let tag = mac.authenticate(vector.message).hex
        #expect(tag.hasPrefix(vector.tag))
        let viaPointer = vector.message.withUnsafeBytes { mac.authenticate($0) }.hex
        #expect(viaPointer.hasPrefix(vector.tag))
    }

    @Test func repeatedCallsOnOneInstanceStayCorrect() {
        // The pooled context is re-initialised on every call; interleave
        // messages so a leftover state would show.
        let first = Self.vectors[0]
        let mac = HMACSHA256(key: first.key)
        let other = Array("a different message".utf8)
        let otherTag = Self.definitionalHMAC(key: first.key, message: other)
        for _ in 0..<5 {
            #expect(mac.authenticate(first.message).hex == first.tag)
            #expect(mac.authenticate(other) == otherTag)
            #expect(mac.authenticate([]) == Self.definitionalHMAC(key: first.key, message: []))
        }
    }

    @Test(arguments: [0, 1, 32, 63, 64, 65, 200])
    func agreesWithDefinitionForKeyLength(_ keyLength: Int) {
        let key = pseudoRandomBytes(count: keyLength, seed: UInt64(keyLength) + 100)
        let mac = HMACSHA256(key: key)
        for messageLength in [0, 1, 55, 56, 64, 1000] {
            let message = pseudoRandomBytes(count: messageLength, seed: UInt64(messageLength))
            #expect(mac.authenticate(message) == Self.definitionalHMAC(key: key, message: message))
        }
    }

    @Test func differentKeysGiveDifferentTags() {
        let message = Array("same message".utf8)
        #expect(HMACSHA256(key: [1]).authenticate(message) != HMACSHA256(key: [2]).authenticate(message))
    }

    @Test func sharedInstanceIsSafeAcrossThreads() async {
        let key = pseudoRandomBytes(count: 32, seed: 1)
        let mac = HMACSHA256(key: key)
        let messages = (0..<16).map { pseudoRandomBytes(count: 64 + $0 * 37, seed: UInt64($0)) }
        let expected = messages.map { Self.definitionalHMAC(key: key, message: $0) }
        let mismatches = await withTaskGroup(of: Int.self, returning: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    for round in 0..<500 {
                        let index = (worker + round) % messages.count
                        if mac.authenticate(messages[index]) != expected[index] { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    /// HMAC from RFC 2104's definition, built on SHA256Hasher:
    /// H((K' ^ opad) || H((K' ^ ipad) || message)).
    static func definitionalHMAC(key: [UInt8], message: [UInt8]) -> Digest256 {
        var block = key.count > 64 ? SHA256Hasher.hash(key).bytes : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256Hasher()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256Hasher()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize().bytes)
        return outer.finalize()
    }
}
