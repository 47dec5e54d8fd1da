import VaultCodecs
import VaultRepository
import VaultStorage

/// `vault repair index`: rebuilds the index from the packs in the storage.
///
/// Every stored pack gets one record in a new index file: the record of a
/// readable index file when it describes the pack with the pack's stored
/// size, otherwise the pack's header, read with range reads of its tail
/// (with `checkingBlobs`, such a pack is read whole and every blob checked
/// first). The new index file supersedes every index file there was,
/// damaged or not, and those are then removed. A pack whose header cannot
/// be read is left out and reported: its blobs are lost unless a mirror
/// has the pack (`vault verify --repair-from`).
///
/// Runs under an exclusive lock. The plan (which packs come from which
/// source) is computed first, then written.
package struct IndexRebuild: Sendable {
    /// What a rebuild did.
    package struct Outcome: Sendable {
        /// Packs in the new index.
        package var packs = 0
        /// Blobs in the new index.
        package var blobs = 0
        /// Packs whose records were read from their headers, because no
        /// readable index file described them.
        package var packsFromHeaders: [PackID] = []
        /// Packs left out, and why.
        package var unreadablePacks: [(id: PackID, reason: String)] = []
        /// Index files that were damaged.
        package var damagedIndexFiles: [IndexFileID] = []
        /// Index files superseded and removed.
        package var removedIndexFiles: [IndexFileID] = []
        /// The new index file, or `nil` when the repository holds no packs.
        package var newIndexFile: IndexFileID?
    }

    /// The repository.
    package var repository: Repository
    /// Whether packs no readable index file describes are read whole and
    /// checked before they are indexed.
    package var checkingBlobs: Bool

    /// Creates a rebuild.
    package init(repository: Repository, checkingBlobs: Bool = false) {
        self.repository = repository
        self.checkingBlobs = checkingBlobs
    }

    /// Rebuilds the index.
    ///
    /// - Throws: ``RepositoryError`` when the repository cannot be locked,
    ///   listed, or the new index file cannot be written.
    package func run() async throws -> Outcome {
        try await repository.withLock(.exclusive) { try await self.rebuild() }
    }

    private func rebuild() async throws(RepositoryError) -> Outcome {
        var outcome = Outcome()
        // Index files first, then packs: any pack an index file names was
        // stored before the index file, so the pack listing has it.
        var known: [PackID: IndexFile.Pack] = [:]
        var oldFiles: [IndexFileID] = []
        for info in try await repository.list(.index) {
            guard let id = IndexFileID(hex: info.name.name) else { continue }
            oldFiles.append(id)
            do {
                let file = try IndexFile(decoding: try await repository.loadObject(info.name), what: "index \(id.shortHex)")
                for pack in file.packs where known[pack.id] == nil {
                    known[pack.id] = pack
                }
            } catch where error.code == .damaged {
                outcome.damagedIndexFiles.append(id)
            }
        }
        let inventory = try await repository.packInventory(indexed: known.keys)
        var records: [IndexFile.Pack] = []
        for (id, size) in inventory.stored.sorted(by: { $0.key < $1.key }) {
            if let record = known[id], record.size == size {
                records.append(record)
                continue
            }
            do {
                records.append(try await repository.indexRecord(ofPack: id, size: size, checkingBlobs: checkingBlobs))
                outcome.packsFromHeaders.append(id)
            } catch {
                outcome.unreadablePacks.append((id, error.message))
            }
        }
        outcome.packs = records.count
        outcome.blobs = records.reduce(0) { $0 + $1.blobs.count }
        guard !records.isEmpty || !oldFiles.isEmpty else { return outcome }
        outcome.newIndexFile = try await repository.saveIndex(IndexFile(supersedes: oldFiles, packs: records))
        for id in oldFiles where id != outcome.newIndexFile {
            do {
                try await repository.storage.delete(ObjectName(id))
                outcome.removedIndexFiles.append(id)
            } catch {
                // Superseded already: a file left behind is ignored by readers.
            }
        }
        return outcome
    }
}
