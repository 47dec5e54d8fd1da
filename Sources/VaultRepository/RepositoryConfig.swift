import VaultChunker
import VaultCodecs

/// A repository's configuration: the `config` object (docs/format.md,
/// "Configuration").
package struct RepositoryConfig: Sendable, Equatable {
    /// The newest format version this program reads and writes.
    package static let currentVersion = 1
    /// The default size at which a pack file is closed.
    package static let defaultPackSize = 16 * 1024 * 1024

    /// The format version.
    package var version: Int
    /// The repository's random ID; a mirror has the same one.
    package var id: Digest256
    /// When the repository was created.
    package var created: Timestamp
    /// Whether the repository is encrypted.
    package var isEncrypted: Bool
    /// FastCDC chunk sizes.
    package var chunker: ChunkerParameters
    /// The compression writers use.
    package var compression: CompressionSetting
    /// The size at which writers close a pack.
    package var packSize: Int

    /// A new configuration with a fresh random ID.
    package init(
        isEncrypted: Bool,
        chunker: ChunkerParameters = .repositoryDefault,
        compression: CompressionSetting = .default,
        packSize: Int = defaultPackSize
    ) {
        self.version = Self.currentVersion
        self.id = SHA256Hasher.hash(SecureRandom.bytes(32))
        self.created = .now()
        self.isEncrypted = isEncrypted
        self.chunker = chunker
        self.compression = compression
        self.packSize = packSize
    }

    /// The valid range of pack sizes.
    package static let packSizeRange = (1 << 20)...(1 << 30)

    // MARK: Encoding

    private struct Envelope: Codable {
        var version: Int
        var encryption: String
        var body: Base64Bytes
    }

    private struct Body: Codable {
        struct Chunker: Codable {
            var min: Int
            var avg: Int
            var max: Int
        }
        var version: Int
        var id: Digest256
        var created: Timestamp
        var chunker: Chunker
        var compression: CompressionSetting
        var packSize: Int
    }

    private static let encryptionName = "aes-256-gcm"

    /// The bytes of the `config` object.
    package func encoded(cipher: ObjectCipher) -> [UInt8] {
        let body = Body(
            version: version, id: id, created: created,
            chunker: .init(min: chunker.minSize, avg: chunker.avgSize, max: chunker.maxSize),
            compression: compression, packSize: packSize
        )
        let envelope = Envelope(
            version: version,
            encryption: isEncrypted ? Self.encryptionName : "none",
            body: Base64Bytes(cipher.seal(RepositoryJSON.encode(body)))
        )
        return RepositoryJSON.encode(envelope)
    }

    /// What the unsealed outer part of `config` says: readable without a password.
    package struct Header: Sendable, Equatable {
        /// The format version.
        package var version: Int
        /// Whether the repository says it is encrypted.
        package var isEncrypted: Bool
    }

    /// Reads the outer part of `config` and checks the version.
    ///
    /// - Throws: ``RepositoryError``: `.unsupportedVersion` for a newer
    ///   format, `.damaged` for anything unreadable.
    package static func header(of bytes: [UInt8]) throws(RepositoryError) -> Header {
        let envelope = try RepositoryJSON.decode(Envelope.self, from: bytes, what: "config")
        guard envelope.version <= currentVersion, envelope.version >= 1 else {
            throw RepositoryError(
                .unsupportedVersion,
                "the repository has format version \(envelope.version); this vault reads versions 1 to \(currentVersion): upgrade vault"
            )
        }
        switch envelope.encryption {
        case encryptionName: return Header(version: envelope.version, isEncrypted: true)
        case "none": return Header(version: envelope.version, isEncrypted: false)
        default: throw RepositoryError(.damaged, "config is damaged: unknown encryption '\(envelope.encryption)'")
        }
    }

    /// Decodes the `config` object.
    ///
    /// - Parameter cipher: Opens the body; ``ObjectCipher/plain`` for a plain repository.
    /// - Throws: ``RepositoryError``.
    package init(decoding bytes: [UInt8], cipher: ObjectCipher) throws(RepositoryError) {
        let header = try Self.header(of: bytes)
        guard header.isEncrypted == cipher.isEncrypting else {
            throw RepositoryError(.damaged, "config is damaged: its encryption mode does not match the key files")
        }
        let envelope = try RepositoryJSON.decode(Envelope.self, from: bytes, what: "config")
        let bodyBytes = try cipher.open(envelope.body.bytes, what: "config")
        let body = try RepositoryJSON.decode(Body.self, from: bodyBytes, what: "config")
        guard body.version == header.version else {
            throw RepositoryError(.damaged, "config is damaged: outer version \(header.version) differs from body version \(body.version)")
        }
        let chunker: ChunkerParameters
        do {
            chunker = try ChunkerParameters(minSize: body.chunker.min, avgSize: body.chunker.avg, maxSize: body.chunker.max)
        } catch {
            throw RepositoryError(.damaged, "config is damaged: \(error)")
        }
        guard Self.packSizeRange.contains(body.packSize) else {
            throw RepositoryError(.damaged, "config is damaged: pack size \(body.packSize) is out of range")
        }
        self.version = body.version
        self.id = body.id
        self.created = body.created
        self.isEncrypted = header.isEncrypted
        self.chunker = chunker
        self.compression = body.compression
        self.packSize = body.packSize
    }
}
