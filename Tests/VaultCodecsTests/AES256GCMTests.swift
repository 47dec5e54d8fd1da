import Testing
import VaultTestSupport
@testable import VaultCodecs

/// Known answers from the GCM specification (McGrew & Viega, test cases
/// 13–16: AES-256, 96-bit IV), round trips, and tampering.
@Suite struct AES256GCMTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: String
        let nonce: String
        let plaintext: String
        let additionalData: String
        let ciphertext: String
        let tag: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "test case 13", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: "", additionalData: "", ciphertext: "",
               tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        Vector(name: "test case 14", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: String(repeating: "00", count: 16), additionalData: "",
               ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
               tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        Vector(name: "test case 15",
               key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
               nonce: "cafebabefacedbaddecaf888",
               plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                   + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
               additionalData: "",
               ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                   + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
               tag: "b094dac5d93471bdec1a502270e3cc6c"),
        Vector(name: "test case 16",
               key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
               nonce: "cafebabefacedbaddecaf888",
               plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                   + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
               additionalData: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
               ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                   + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
               tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    @Test(arguments: vectors)
    func sealMatchesGCMSpecVector(_ vector: Vector) throws {
        let cipher = try AES256GCM(key: hexBytes(vector.key))
        // Twice on one instance: the second run reuses the pooled context.
        for _ in 0..<2 {
            let sealed = cipher.sealForTesting(hexBytes(vector.plaintext), nonce: hexBytes(vector.nonce),
                                               additionalData: hexBytes(vector.additionalData))
            #expect(hexString(sealed) == vector.nonce + vector.ciphertext + vector.tag)
        }
    }

    @Test(arguments: vectors)
    func openMatchesGCMSpecVector(_ vector: Vector) throws {
        let cipher = try AES256GCM(key: hexBytes(vector.key))
        let sealed = hexBytes(vector.nonce + vector.ciphertext + vector.tag)
        let additionalData = hexBytes(vector.additionalData)
        let plaintext = try sealed.withUnsafeBytes { sealed in
            try additionalData.withUnsafeBytes { try cipher.open(sealed, additionalData: $0) }
        }
        #expect(hexString(plaintext) == vector.plaintext)
        if !additionalData.isEmpty {
            // Without the additional data the tag must not verify.
            let error = #expect(throws: CodecError.self) { try cipher.open(sealed) }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test(arguments: [0, 1, 15, 16, 17, 1000, 1 << 20])
    func roundTrip(length: Int) throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let plaintext = pseudoRandomBytes(count: length, seed: UInt64(length))
        let sealed = cipher.seal(plaintext)
        #expect(sealed.count == length + AES256GCM.overhead)
        #expect(try cipher.open(sealed) == plaintext)
        if length >= 16 {
            // The ciphertext is not the plaintext.
            #expect(Array(sealed[12..<28]) != Array(plaintext[0..<16]))
        }
    }

    @Test func sealingTwiceUsesFreshNonces() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let plaintext = Array("same message".utf8)
        let first = cipher.seal(plaintext)
        let second = cipher.seal(plaintext)
        #expect(first[..<12] != second[..<12])
        #expect(first != second)
        #expect(try cipher.open(first) == plaintext)
        #expect(try cipher.open(second) == plaintext)
    }

    @Test func sealAppendsAfterExistingBytes() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        var output: [UInt8] = [1, 2, 3]
        let plaintext = pseudoRandomBytes(count: 100, seed: 3)
        plaintext.withUnsafeBytes { cipher.seal($0, appendingTo: &output) }
        let secondPlaintext = pseudoRandomBytes(count: 7, seed: 4)
        let firstEnd = output.count
        secondPlaintext.withUnsafeBytes { cipher.seal($0, appendingTo: &output) }
        #expect(output[..<3] == [1, 2, 3])
        #expect(firstEnd == 3 + 100 + 28)
        #expect(output.count == firstEnd + 7 + 28)
        #expect(try cipher.open(Array(output[3..<firstEnd])) == plaintext)
        #expect(try cipher.open(Array(output[firstEnd...])) == secondPlaintext)
    }

    @Test(arguments: [0, 5, 11, 12, 40, 1039, 1040, 1043])
    func flippedByteFailsAuthentication(position: Int) throws {
        // Positions cover the nonce (0–11), ciphertext (12–1039) and tag (1040–1055).
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        var sealed = cipher.seal(pseudoRandomBytes(count: 1028, seed: 9))
        sealed[position] ^= 0x01
        let error = #expect(throws: CodecError.self) { try cipher.open(sealed) }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func lastTagBitFlipFailsAuthentication() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        var sealed = cipher.seal([])
        sealed[sealed.count - 1] ^= 0x80
        let error = #expect(throws: CodecError.self) { try cipher.open(sealed) }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func tooShortInputIsTruncated() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let sealed = cipher.seal([])
        #expect(sealed.count == 28)
        for length in 0..<28 {
            let error = #expect(throws: CodecError.self) { try cipher.open(Array(sealed.prefix(length))) }
            #expect(error?.code == .truncated)
        }
        #expect(try cipher.open(sealed) == [])
    }

    @Test func wrongKeyFailsAuthentication() throws {
        let sealed = try AES256GCM(key: [UInt8](repeating: 1, count: 32)).seal(Array("secret".utf8))
        let other = try AES256GCM(key: [UInt8](repeating: 2, count: 32))
        let error = #expect(throws: CodecError.self) { try other.open(sealed) }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func instanceWorksAfterAFailedOpen() throws {
        // The pooled decryption context must come back clean after a tag failure.
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let plaintext = pseudoRandomBytes(count: 300, seed: 14)
        let sealed = cipher.seal(plaintext)
        var damaged = sealed
        damaged[20] ^= 0x40
        for _ in 0..<3 {
            #expect(throws: CodecError.self) { try cipher.open(damaged) }
            #expect(try cipher.open(sealed) == plaintext)
        }
    }

    @Test(arguments: [0, 16, 24, 31, 33, 64])
    func keyOfWrongLengthIsRejected(length: Int) {
        let error = #expect(throws: CodecError.self) { try AES256GCM(key: [UInt8](repeating: 7, count: length)) }
        #expect(error?.code == .invalidKey)
    }

    @Test func openIntoCallerBuffer() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let plaintext = pseudoRandomBytes(count: 500, seed: 11)
        let sealed = cipher.seal(plaintext)
        var output = [UInt8](repeating: 0xEE, count: 600)
        let written = try sealed.withUnsafeBytes { sealed in
            try output.withUnsafeMutableBytes { try cipher.open(sealed, into: $0) }
        }
        #expect(written == 500)
        #expect(Array(output[..<500]) == plaintext)
        #expect(output[500...].allSatisfy { $0 == 0xEE })
    }

    @Test func openIntoCallerBufferZeroesItOnFailure() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        var sealed = cipher.seal(pseudoRandomBytes(count: 64, seed: 12))
        sealed[sealed.count - 1] ^= 1
        var output = [UInt8](repeating: 0xEE, count: 64)
        let error = #expect(throws: CodecError.self) {
            try sealed.withUnsafeBytes { sealed in
                try output.withUnsafeMutableBytes { try cipher.open(sealed, into: $0) }
            }
        }
        #expect(error?.code == .authenticationFailed)
        #expect(output.allSatisfy { $0 == 0 })
    }

    @Test func openIntoTooSmallBufferIsRejected() throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let sealed = cipher.seal(pseudoRandomBytes(count: 64, seed: 13))
        var output = [UInt8](repeating: 0, count: 63)
        let error = #expect(throws: CodecError.self) {
            try sealed.withUnsafeBytes { sealed in
                try output.withUnsafeMutableBytes { try cipher.open(sealed, into: $0) }
            }
        }
        #expect(error?.code == .invalidParameter)
    }

    @Test func sharedInstanceIsSafeAcrossThreads() async throws {
        let cipher = try AES256GCM(key: SecureRandom.bytes(32))
        let failures = await withTaskGroup(of: Int.self, returning: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var failures = 0
                    for round in 0..<200 {
                        let plaintext = pseudoRandomBytes(count: 1 + (worker * 131 + round * 17) % 3000, seed: UInt64(round))
                        let sealed = cipher.seal(plaintext)
                        if (try? cipher.open(sealed)) != plaintext { failures += 1 }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}
