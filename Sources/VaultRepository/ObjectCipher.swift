import VaultCodecs

/// Seals and opens objects and blobs: AES-256-GCM in an encrypted
/// repository, the identity in a plain one (see "Sealing" in docs/format.md).
package struct ObjectCipher: Sendable {
    private let aes: AES256GCM?

    /// The cipher of a plain repository: sealing changes nothing.
    package static let plain = ObjectCipher(aes: nil)

    private init(aes: AES256GCM?) {
        self.aes = aes
    }

    /// The cipher of an encrypted repository.
    package init(keys: MasterKeys) {
        self.aes = try! AES256GCM(key: keys.encryption)
    }

    /// Whether this cipher encrypts.
    package var isEncrypting: Bool { aes != nil }

    /// How many bytes sealing adds.
    package var overhead: Int { aes == nil ? 0 : AES256GCM.overhead }

    /// Seals `plaintext`, appending the result to `output`.
    package func seal(_ plaintext: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        if let aes {
            aes.seal(plaintext, appendingTo: &output)
        } else {
            output.append(contentsOf: plaintext)
        }
    }

    /// Seals `plaintext`.
    package func seal(_ plaintext: [UInt8]) -> [UInt8] {
        guard aes != nil else { return plaintext }
        var output: [UInt8] = []
        output.reserveCapacity(plaintext.count + overhead)
        plaintext.withUnsafeBytes { seal($0, appendingTo: &output) }
        return output
    }

    /// Opens a sealed object.
    ///
    /// - Parameter what: Names the object for the error message.
    /// - Throws: ``RepositoryError`` with code `.damaged` when the tag does not verify.
    package func open(_ sealed: [UInt8], what: @autoclosure () -> String) throws(RepositoryError) -> [UInt8] {
        guard let aes else { return sealed }
        do {
            return try aes.open(sealed)
        } catch {
            throw RepositoryError(.damaged, "\(what()) is damaged or forged: \(error.message)")
        }
    }

    /// Opens a sealed region of a larger buffer.
    package func open(_ sealed: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws(RepositoryError) -> [UInt8] {
        guard let aes else { return Array(sealed) }
        do {
            return try aes.open(sealed)
        } catch {
            throw RepositoryError(.damaged, "\(what()) is damaged or forged: \(error.message)")
        }
    }
}
