import VaultCodecs
import VaultRepository

/// What `vault prune` did, or with a dry run would do.
package struct PruneReport: Sendable {
    /// Snapshots `forget` removed before this prune (0 for a plain prune).
    package var removedSnapshots = 0
    /// Indexed packs deleted (no used blob), and their bytes.
    package var deletedPacks = 0
    package var deletedBytes: Int64 = 0
    /// Unindexed packs deleted, and their bytes.
    package var deletedUnindexedPacks = 0
    package var deletedUnindexedBytes: Int64 = 0
    /// Packs repacked, and their bytes before.
    package var repackedPacks = 0
    package var repackedBytes: Int64 = 0
    /// New packs written by repacking, and their bytes.
    package var writtenPacks = 0
    package var writtenBytes: Int64 = 0
    /// Packs kept as they are, and their bytes.
    package var keptPacks = 0
    package var keptBytes: Int64 = 0
    /// Index files written and removed.
    package var indexFilesWritten = 0
    package var indexFilesRemoved = 0
    /// Stale temporary files removed.
    package var temporaryFilesRemoved = 0
    /// Bytes of pack files before and after.
    package var sizeBefore: Int64 = 0
    package var sizeAfter: Int64 = 0
    /// Bytes the used blobs take, and the unused bytes left in kept packs.
    package var usedBytes: Int64 = 0
    package var unusedBytesAfter: Int64 = 0
    /// Snapshots affected by missing or damaged data (`--ignore-damaged` only).
    package var affectedSnapshots: [SnapshotID] = []
    /// Packs kept because they are damaged, and unindexed packs kept.
    package var damagedPacksKept = 0
    package var unindexedPacksKept = 0
    /// Whether nothing was changed (a dry run).
    package var dryRun = false

    package init() {}

    /// `removed N snapshots; deleted P packs (X MiB), repacked Q packs (Y MiB), repository A → B MiB`.
    package var summaryLine: String {
        func mib(_ bytes: Int64) -> String {
            let value = Double(bytes) / 1_048_576
            return value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
        }
        let verb = dryRun ? "would " : ""
        return "\(verb)\(dryRun ? "remove" : "removed") \(removedSnapshots) snapshot\(removedSnapshots == 1 ? "" : "s"); "
            + "\(verb)\(dryRun ? "delete" : "deleted") \(deletedPacks + deletedUnindexedPacks) pack\(deletedPacks + deletedUnindexedPacks == 1 ? "" : "s") "
            + "(\(mib(deletedBytes + deletedUnindexedBytes)) MiB), "
            + "\(verb)\(dryRun ? "repack" : "repacked") \(repackedPacks) pack\(repackedPacks == 1 ? "" : "s") (\(mib(repackedBytes)) MiB), "
            + "repository \(mib(sizeBefore)) → \(mib(sizeAfter)) MiB"
    }
}
