import VaultCodecs

/// Copies stored blobs into new packs exactly as they are stored: nothing
/// is decrypted or re-encrypted for the copy (prune checks each blob
/// separately before handing it over). Packs are closed at the
/// repository's pack size and stored at once; the caller indexes them.
package struct PackRepacker: Sendable {
    private let repository: Repository
    private var writer: PackWriter
    /// The packs stored so far.
    package private(set) var stored: [StoredPack] = []

    /// Creates a repacker for a repository.
    package init(repository: Repository) {
        self.repository = repository
        writer = PackWriter(cipher: repository.cipher, reservingCapacity: repository.config.packSize + (1 << 20))
    }

    /// Adds one stored blob; stores the pack when it reaches the pack size.
    package mutating func add(type: BlobType, id: Digest256, rawLength: UInt32, stored bytes: ArraySlice<UInt8>) async throws(RepositoryError) {
        bytes.withUnsafeBytes { buffer in
            writer.add(type: type, id: id, rawLength: Int(rawLength), stored: buffer)
        }
        if writer.size >= repository.config.packSize {
            try await flush()
        }
    }

    /// Stores the pack being filled, if it holds a blob.
    package mutating func flush() async throws(RepositoryError) {
        guard !writer.isEmpty else { return }
        let pack = writer.finish()
        try await repository.savePack(pack)
        stored.append(StoredPack(pack))
    }
}
