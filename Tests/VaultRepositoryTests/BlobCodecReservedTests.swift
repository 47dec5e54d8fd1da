import Testing
import VaultCodecs
@testable import VaultRepository

/// docs/format.md, "Blobs": codec bytes other than 0 (raw) and 1 (zlib)
/// are reserved, and a reader MUST reject them.
@Suite("blob codec: reserved codec bytes")
struct BlobCodecReservedTests {
    @Test("every reserved codec byte is refused as damage, in plain and encrypted repositories", arguments: [false, true])
    func reserved(encrypted: Bool) throws {
        let keys = MasterKeys.generate()
        let cipher = encrypted ? ObjectCipher(keys: keys) : .plain
        let identifier = encrypted ? BlobIdentifier(keys: keys) : .plain
        let payload = Array("a payload that would decode if the codec were raw".utf8)
        let id = identifier.id(of: payload)
        var decoder = BlobDecoder(cipher: cipher, identifier: identifier)
        // The same payload under the raw codec decodes: the codec byte alone decides.
        #expect(try decoder.decode(cipher.seal([0] + payload), id: id, rawLength: payload.count) == payload)
        for codec in UInt8(2)...UInt8(255) {
            let error = #expect(throws: RepositoryError.self, "codec \(codec)") {
                _ = try decoder.decode(cipher.seal([codec] + payload), id: id, rawLength: payload.count)
            }
            #expect(error?.code == .damaged)
            #expect(error?.message.contains("unknown codec \(codec)") == true, "\(error?.message ?? "")")
        }
        // An empty sealed plaintext has no codec byte.
        #expect(throws: RepositoryError.self) { _ = try decoder.decode(cipher.seal([]), id: id, rawLength: 0) }
    }
}
