import Testing
import VaultCodecs
import VaultTestSupport
@testable import VaultRepository

/// Blobs are written with libdeflate and read with libdeflate, in the zlib
/// format of docs/format.md: zlib (the reference) reads what vault writes,
/// vault reads what zlib writes, and a blob that decodes to other than the
/// length its index records is damaged, never a crash or a large allocation.
@Suite struct BlobCodecEngineTests {
    static let keys = MasterKeys.generate()
    static let cipher = ObjectCipher(keys: keys)
    static let identifier = BlobIdentifier(keys: keys)

    static func text(_ count: Int, seed: UInt64) -> [UInt8] {
        // Bytes from a 16-letter alphabet: compressible, not trivially.
        pseudoRandomBytes(count: count, seed: seed).map { UInt8(ascii: "a") + $0 & 0x0F }
    }

    /// Seals `codec ‖ payload` as a blob's stored form.
    static func stored(codec: BlobCodec, _ payload: [UInt8]) -> [UInt8] {
        cipher.seal([codec.rawValue] + payload)
    }

    @Test(arguments: 1...9)
    func writtenBlobsInflateWithZlib(_ level: Int) throws {
        var encoder = BlobEncoder(cipher: Self.cipher, compression: .zlib(level: level))
        let plaintext = Self.text(300_000, seed: UInt64(level))
        var stored: [UInt8] = []
        let codec = plaintext.withUnsafeBytes { encoder.encode($0, appendingTo: &stored) }
        #expect(codec == .zlib)
        let opened = try Self.cipher.open(stored, what: "blob")
        #expect(opened.first == BlobCodec.zlib.rawValue)
        #expect(opened.count < plaintext.count * 6 / 10)
        #expect(try Zlib.decompress(Array(opened.dropFirst()), maxOutputSize: plaintext.count) == plaintext)

        var decoder = BlobDecoder(cipher: Self.cipher, identifier: Self.identifier)
        let id = Self.identifier.id(of: plaintext)
        #expect(try decoder.decode(stored, id: id, rawLength: plaintext.count) == plaintext)
    }

    @Test func blobsZlibWroteDecode() throws {
        // What vault wrote before libdeflate (zlib's deflate) still reads.
        let plaintext = Self.text(200_000, seed: 7)
        let id = Self.identifier.id(of: plaintext)
        var decoder = BlobDecoder(cipher: Self.cipher, identifier: Self.identifier)
        for level in [1, 2, 6, 9] {
            let stored = Self.stored(codec: .zlib, try Zlib.compress(plaintext, level: level))
            #expect(try decoder.decode(stored, id: id, rawLength: plaintext.count) == plaintext, "zlib level \(level)")
        }
    }

    @Test func incompressibleBlobsAreStoredRaw() {
        var encoder = BlobEncoder(cipher: Self.cipher, compression: .zlib(level: 2))
        // Below the entropy sample's threshold, so compression is tried and
        // must give up: the stored form is the raw plaintext.
        for plaintext in [pseudoRandomBytes(count: 3_000, seed: 8), [0x42]] {
            var stored: [UInt8] = []
            let codec = plaintext.withUnsafeBytes { encoder.encode($0, appendingTo: &stored) }
            #expect(codec == .raw)
            #expect(stored.count == plaintext.count + 1 + Self.cipher.overhead)
        }
    }

    @Test func streamLongerThanTheIndexSaysIsDamaged() throws {
        let plaintext = Self.text(100_000, seed: 9)
        let id = Self.identifier.id(of: plaintext)
        let stored = Self.stored(codec: .zlib, try Zlib.compress(plaintext, level: 6))
        var decoder = BlobDecoder(cipher: Self.cipher, identifier: Self.identifier)
        for rawLength in [0, 1, plaintext.count - 1] {
            let error = #expect(throws: RepositoryError.self) { try decoder.decode(stored, id: id, rawLength: rawLength) }
            #expect(error?.code == .damaged, "rawLength \(rawLength)")
            // A claim smaller than the stored bytes is refused before inflating
            // (BlobSizeLimit); a plausible one is caught by the inflater's limit.
            let expected = stored.count > rawLength + 1 + Self.cipher.overhead
                ? "\(stored.count) stored bytes for \(rawLength) bytes of plaintext"
                : "decodes to more than the \(rawLength) bytes allowed"
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
    }

    @Test func hugeClaimedLengthIsDamagedWithoutAllocatingIt() throws {
        // An index may claim up to 4 GiB for a blob; the decoder sizes its
        // buffer by what the stream can expand to, and reports the mismatch.
        let plaintext = Self.text(50_000, seed: 10)
        let id = Self.identifier.id(of: plaintext)
        let stored = Self.stored(codec: .zlib, try Zlib.compress(plaintext))
        var decoder = BlobDecoder(cipher: Self.cipher, identifier: Self.identifier)
        let error = #expect(throws: RepositoryError.self) { try decoder.decode(stored, id: id, rawLength: Int(UInt32.max)) }
        #expect(error?.code == .damaged)
        #expect(error?.message.contains("\(plaintext.count) bytes where the index says \(UInt32.max)") == true)
    }

    @Test func damagedStreamIsDamagedNotACrash() throws {
        let plaintext = Self.text(20_000, seed: 11)
        let id = Self.identifier.id(of: plaintext)
        var payload = try Zlib.compress(plaintext)
        var decoder = BlobDecoder(cipher: Self.cipher, identifier: Self.identifier)
        for cut in [0, 1, 2, payload.count / 2, payload.count - 1] {
            let stored = Self.stored(codec: .zlib, Array(payload.prefix(cut)))
            let error = #expect(throws: RepositoryError.self) { try decoder.decode(stored, id: id, rawLength: plaintext.count) }
            #expect(error?.code == .damaged, "cut at \(cut)")
        }
        payload[payload.count / 2] ^= 0x10
        let error = #expect(throws: RepositoryError.self) {
            try decoder.decode(Self.stored(codec: .zlib, payload), id: id, rawLength: plaintext.count)
        }
        #expect(error?.code == .damaged)
    }
}
