import VaultCodecs

/// Copies stored blobs into new packs exactly as they are stored: nothing
/// is decrypted or re-encrypted for the copy (prune checks each blob
/// separately before handing it over). Data and tree blobs go to separate
/// packs, as ``RepositoryWriter`` keeps them, so reading trees stays cheap.
/// Packs are closed at the repository's pack size and stored at once; the
/// caller indexes them.
package struct PackRepacker: Sendable {
    private let repository: Repository
    private var dataPack: PackWriter
    private var treePack: PackWriter
    /// The packs stored so far.
    package private(set) var stored: [StoredPack] = []

    /// Creates a repacker for a repository.
    package init(repository: Repository) {
        self.repository = repository
        let reservation = RepositoryWriter.packReservation(for: repository)
        dataPack = PackWriter(cipher: repository.cipher, reservingCapacity: reservation)
        treePack = PackWriter(cipher: repository.cipher, reservingCapacity: reservation)
    }

    /// Adds one stored blob; stores its pack when it reaches the pack size.
    package mutating func add(type: BlobType, id: Digest256, rawLength: UInt32, stored bytes: ArraySlice<UInt8>) async throws(RepositoryError) {
        let isFull: Bool
        switch type {
        case .data:
            bytes.withUnsafeBytes { dataPack.add(type: type, id: id, rawLength: Int(rawLength), stored: $0) }
            isFull = dataPack.size >= repository.config.packSize
        case .tree:
            bytes.withUnsafeBytes { treePack.add(type: type, id: id, rawLength: Int(rawLength), stored: $0) }
            isFull = treePack.size >= repository.config.packSize
        }
        if isFull {
            try await flush(type)
        }
    }

    /// Stores the packs being filled, if they hold a blob.
    package mutating func flush() async throws(RepositoryError) {
        try await flush(.data)
        try await flush(.tree)
    }

    private mutating func flush(_ type: BlobType) async throws(RepositoryError) {
        let pack: FinishedPack
        switch type {
        case .data:
            guard !dataPack.isEmpty else { return }
            pack = dataPack.finish()
        case .tree:
            guard !treePack.isEmpty else { return }
            pack = treePack.finish()
        }
        try await repository.savePack(pack)
        stored.append(StoredPack(pack))
    }
}
