import VaultCodecs

/// Computes blob IDs: SHA-256 of the plaintext in a plain repository,
/// HMAC-SHA-256 under the blob-ID key in an encrypted one.
package struct BlobIdentifier: Sendable {
    private let hmac: HMACSHA256?

    /// The identifier of a plain repository.
    package static let plain = BlobIdentifier(hmac: nil)

    private init(hmac: HMACSHA256?) {
        self.hmac = hmac
    }

    /// The identifier of an encrypted repository.
    package init(keys: MasterKeys) {
        self.hmac = HMACSHA256(key: keys.blobID)
    }

    /// The ID of a blob with this plaintext.
    package func id(of plaintext: UnsafeRawBufferPointer) -> Digest256 {
        if let hmac {
            return hmac.authenticate(plaintext)
        }
        return SHA256Hasher.hash(plaintext)
    }

    /// The ID of a blob with this plaintext.
    package func id(of plaintext: [UInt8]) -> Digest256 {
        plaintext.withUnsafeBytes { id(of: $0) }
    }
}
