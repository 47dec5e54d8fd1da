import VaultCodecs

/// One key file: the master keys wrapped under one password (docs/format.md, "Keys").
package struct KeyFile: Sendable, Equatable {
    /// scrypt's cost parameters.
    package struct ScryptParameters: Sendable, Hashable, Codable {
        /// CPU/memory cost, a power of two.
        package var n: UInt64
        /// Block size.
        package var r: UInt32
        /// Parallelism.
        package var p: UInt32

        /// The default: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s).
        package static let `default` = ScryptParameters(n: 1 << 15, r: 8, p: 1)

        /// Creates scrypt parameters.
        package init(n: UInt64, r: UInt32, p: UInt32) {
            self.n = n
            self.r = r
            self.p = p
        }

        /// Whether a reader should accept these parameters from an untrusted file:
        /// large enough to be real, small enough not to exhaust memory.
        var isAcceptable: Bool {
            n >= 2 && n.nonzeroBitCount == 1 && n <= 1 << 22 && (1...32).contains(r) && (1...16).contains(p)
                && n * UInt64(r) * 128 <= 4 << 30
        }
    }

    /// The largest key file a reader reads: real ones are under 1 KiB. A
    /// larger file in `keys/` is skipped (or, listed, reported as damaged)
    /// without being read.
    package static let maximumSize: Int64 = 64 * 1024

    /// When the key was added.
    package var created: Timestamp
    /// The host it was added on.
    package var host: String
    /// The user who added it.
    package var user: String
    /// scrypt parameters.
    package var kdf: ScryptParameters
    /// The scrypt salt.
    package var salt: [UInt8]
    /// The sealed master keys.
    package var sealedMasterKeys: [UInt8]

    /// Wraps `keys` under `password`.
    ///
    /// - Throws: ``RepositoryError`` when key derivation fails.
    package init(wrapping keys: MasterKeys, password: String, kdf: ScryptParameters = .default, host: String, user: String) throws(RepositoryError) {
        self.created = .now()
        self.host = host
        self.user = user
        self.kdf = kdf
        self.salt = SecureRandom.bytes(32)
        let wrappingKey = try Self.deriveKey(password: password, salt: salt, kdf: kdf)
        let plaintext = RepositoryJSON.encode(MasterKeysDocument(
            encryption: Base64Bytes(keys.encryption), blobID: Base64Bytes(keys.blobID), chunker: Base64Bytes(keys.chunker)
        ))
        self.sealedMasterKeys = try! AES256GCM(key: wrappingKey).seal(plaintext)
    }

    /// Unwraps the master keys.
    ///
    /// - Throws: ``RepositoryError``: `.wrongPassword` when the password does
    ///   not open this key file.
    package func open(password: String) throws(RepositoryError) -> MasterKeys {
        let wrappingKey = try Self.deriveKey(password: password, salt: salt, kdf: kdf)
        let plaintext: [UInt8]
        do {
            plaintext = try AES256GCM(key: wrappingKey).open(sealedMasterKeys)
        } catch {
            throw RepositoryError(.wrongPassword, "wrong password or no key found")
        }
        let document = try RepositoryJSON.decode(MasterKeysDocument.self, from: plaintext, what: "key file")
        return try MasterKeys(encryption: document.encryption.bytes, blobID: document.blobID.bytes, chunker: document.chunker.bytes)
    }

    private static func deriveKey(password: String, salt: [UInt8], kdf: ScryptParameters) throws(RepositoryError) -> [UInt8] {
        do {
            return try Scrypt.deriveKey(password: Array(password.utf8), salt: salt, n: kdf.n, r: kdf.r, p: kdf.p, length: 32)
        } catch {
            throw RepositoryError(.invalidRequest, "key derivation failed: \(error.message)")
        }
    }

    // MARK: Encoding

    private struct MasterKeysDocument: Codable {
        var encryption: Base64Bytes
        var blobID: Base64Bytes
        var chunker: Base64Bytes
    }

    private struct Document: Codable {
        struct KDF: Codable {
            var name: String
            var n: UInt64
            var r: UInt32
            var p: UInt32
            var salt: Base64Bytes
        }
        var created: Timestamp
        var host: String
        var user: String
        var kdf: KDF
        var masterKeys: Base64Bytes
    }

    /// The key file's bytes.
    package func encoded() -> [UInt8] {
        RepositoryJSON.encode(Document(
            created: created, host: host, user: user,
            kdf: .init(name: "scrypt", n: kdf.n, r: kdf.r, p: kdf.p, salt: Base64Bytes(salt)),
            masterKeys: Base64Bytes(sealedMasterKeys)
        ))
    }

    /// Decodes a key file.
    ///
    /// - Parameter what: Names the file for error messages.
    /// - Throws: ``RepositoryError`` with code `.damaged`.
    package init(decoding bytes: [UInt8], what: String) throws(RepositoryError) {
        let document = try RepositoryJSON.decode(Document.self, from: bytes, what: what)
        guard document.kdf.name == "scrypt" else {
            throw RepositoryError(.damaged, "\(what) is damaged: unknown key derivation '\(document.kdf.name)'")
        }
        let kdf = ScryptParameters(n: document.kdf.n, r: document.kdf.r, p: document.kdf.p)
        guard kdf.isAcceptable, document.kdf.salt.bytes.count >= 16 else {
            throw RepositoryError(.damaged, "\(what) is damaged: unacceptable scrypt parameters")
        }
        self.created = document.created
        self.host = document.host
        self.user = document.user
        self.kdf = kdf
        self.salt = document.kdf.salt.bytes
        self.sealedMasterKeys = document.masterKeys.bytes
    }
}
