import VaultCodecs

/// The secret keys of an encrypted repository, chosen once at `init` and
/// wrapped by every key file.
package struct MasterKeys: Sendable, Equatable {
    /// The AES-256-GCM key that seals objects and blobs.
    package var encryption: [UInt8]
    /// The HMAC-SHA-256 key for blob IDs.
    package var blobID: [UInt8]
    /// The key the chunker's gear table is derived from.
    package var chunker: [UInt8]

    /// The length of each key in bytes.
    package static let keyLength = 32

    /// Creates master keys from their bytes.
    ///
    /// - Throws: ``RepositoryError`` unless every key is 32 bytes.
    package init(encryption: [UInt8], blobID: [UInt8], chunker: [UInt8]) throws(RepositoryError) {
        guard [encryption, blobID, chunker].allSatisfy({ $0.count == Self.keyLength }) else {
            throw RepositoryError(.damaged, "master keys must be \(Self.keyLength) bytes each")
        }
        self.encryption = encryption
        self.blobID = blobID
        self.chunker = chunker
    }

    /// Fresh random master keys.
    package static func generate() -> MasterKeys {
        try! MasterKeys(
            encryption: SecureRandom.bytes(keyLength),
            blobID: SecureRandom.bytes(keyLength),
            chunker: SecureRandom.bytes(keyLength)
        )
    }
}
