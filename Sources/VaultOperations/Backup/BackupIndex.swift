import VaultCodecs
import VaultRepository
import VaultStorage

/// The index a backup deduplicates against, checked against the storage
/// once before the backup reads a file.
///
/// - A blob whose pack is gone is dropped (unless another pack holds it
///   too), so the backup stores it again instead of writing a snapshot
///   that names a blob no pack holds.
/// - A damaged index file is left out; the blobs only it lists are stored again.
/// - A pack no index file names (a backup was killed, or the disk filled,
///   after the pack was stored and before its index file was) is read
///   whole; when its hash matches its name and every blob decodes to its
///   ID, an index file naming it is written and its blobs are reused.
/// - Temporary files older than an hour, left by killed writers, are removed.
///
/// All of it costs one listing of `data/`, plus reading the orphan packs.
struct BackupIndex {
    /// How old a temporary file must be before a writer removes it: far
    /// longer than any single `put` takes.
    static let staleTemporaryFileAge: Duration = .seconds(3600)

    /// The index to deduplicate against.
    var chunks: ChunkIndex
    /// Indexed packs the storage does not hold; their blobs were dropped.
    var missingPacks: Set<PackID>
    /// Damaged index files that were left out: blobs only they list are stored again.
    var damagedIndexFiles: [IndexFileID]
    /// Orphan packs that were checked and indexed.
    var adoptedPacks: [PackID]
    /// Orphan packs that were left alone because they did not check out.
    var rejectedPacks: [PackID]

    /// Loads the index and reconciles it with the stored packs.
    ///
    /// - Throws: ``RepositoryError`` when the index or `data/` cannot be
    ///   read, or an index file for adopted packs cannot be written.
    static func prepare(_ repository: Repository) async throws(RepositoryError) -> BackupIndex {
        let loaded = try await repository.loadIndex(checkingPacks: true)
        var chunks = loaded.chunks
        let inventory = try await Self.inventory(of: loaded, in: repository)
        var adopted: [IndexFile.Pack] = []
        var rejected: [PackID] = []
        for orphan in inventory.orphans {
            do {
                adopted.append(try await repository.indexRecord(ofPack: orphan.id, size: orphan.size, checkingBlobs: true))
            } catch {
                // A damaged orphan is not reused; verify reports it.
                rejected.append(orphan.id)
            }
        }
        // Packs that stood in for a damaged index file on their headers
        // alone are reused only if they checked out.
        let unchecked = Set(loaded.packsFromHeaders).intersection(rejected)
        if !unchecked.isEmpty {
            chunks.removeAll(inPacks: unchecked)
        }
        if !adopted.isEmpty {
            // The packs are stored: naming them in an index file keeps the
            // order packs → index → snapshot.
            _ = try await repository.saveIndex(IndexFile(packs: adopted))
            for pack in adopted {
                chunks.insert(contentsOf: pack.blobs.lazy.map { blob in
                    (BlobKey(blob.type, blob.id), BlobLocation(pack: pack.id, type: blob.type, offset: blob.offset, length: blob.length, rawLength: blob.rawLength))
                })
            }
        }
        // Best effort: a leftover temporary file costs space, never data.
        _ = try? await repository.storage.removeStaleTemporaryFiles(olderThan: staleTemporaryFileAge)
        return BackupIndex(
            chunks: chunks, missingPacks: inventory.missing, damagedIndexFiles: loaded.damagedFiles.map(\.id),
            adoptedPacks: adopted.map(\.id), rejectedPacks: rejected
        )
    }

    /// What the user should know about the repository, one clause each.
    var notes: [String] {
        var notes: [String] = []
        if !missingPacks.isEmpty {
            notes.append("\(Self.count(missingPacks.count, "pack")) the index names \(missingPacks.count == 1 ? "is" : "are") gone: their data was stored again ('vault verify' names what older snapshots lost)")
        }
        if !damagedIndexFiles.isEmpty {
            notes.append("\(Self.count(damagedIndexFiles.count, "index file")) \(damagedIndexFiles.count == 1 ? "is" : "are") damaged and skipped: '\(VerifyRepairCommand.index)' rebuilds the index")
        }
        if !adoptedPacks.isEmpty {
            notes.append("indexed \(Self.count(adoptedPacks.count, "pack")) an interrupted backup left behind")
        }
        if !rejectedPacks.isEmpty {
            notes.append("\(Self.count(rejectedPacks.count, "unindexed pack")) did not check out and \(rejectedPacks.count == 1 ? "was" : "were") not reused ('vault verify --read-data' names the damage)")
        }
        return notes
    }

    private static func count(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    private static func inventory(of loaded: Repository.LoadedIndex, in repository: Repository) async throws(RepositoryError) -> PackInventory {
        if let inventory = loaded.inventory { return inventory }
        return try await repository.packInventory(indexed: loaded.chunks.packs)
    }
}
