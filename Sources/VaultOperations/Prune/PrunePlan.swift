import VaultCodecs
import VaultRepository

/// What `vault prune` will do, computed as a pure value from the blobs the
/// snapshots use, the index and the listing of pack files; executing it is
/// ``PruneExecution``'s job.
///
/// Every indexed pack falls in one class:
/// - **delete**: present and holding no used blob;
/// - **repack**: present, holding used and unused blobs, and chosen (most
///   unused share first) while the unused bytes left in the repository
///   exceed ``PruneOptions/maximumUnused`` and the repack budget
///   (``PruneOptions/maximumRepackSize``) allows; its used blobs are copied
///   as stored into new packs;
/// - **keep**: the rest, including every pack that is missing or has the
///   wrong size but holds a used blob that no present pack holds (only with
///   `--ignore-damaged`: without it, prune refuses to run on a damaged
///   repository). A missing pack whose used blobs all have present copies
///   loses its index record; a present one of the wrong size is deleted.
///
/// A used blob stored more than once keeps one copy: the one in the
/// present pack with the most used bytes (ties: the smaller pack ID, then
/// the smaller offset); the other copies count as unused. Packs no index
/// names (an interrupted backup or prune wrote them) are deleted when
/// older than the safety margin or of unknown age (the exclusive lock
/// keeps live writers out), unless the repository is damaged: a missing
/// blob might be in one of them.
package struct PrunePlan: Sendable {
    /// A pack file as the storage lists it.
    package struct StoredPack: Sendable, Hashable {
        package var size: Int64
        /// When it was last modified, if the storage says.
        package var modified: Timestamp?

        package init(size: Int64, modified: Timestamp? = nil) {
            self.size = size
            self.modified = modified
        }
    }

    /// What the reachability walk found missing or unreadable.
    package struct Damage: Sendable, Hashable {
        /// Used blobs no present pack holds (or whose pack failed to read).
        package var lostBlobs: Set<BlobKey> = []
        /// Snapshots that lose files because of them.
        package var affectedSnapshots: Set<SnapshotID> = []
        /// Whether some tree could not be read: then no data blob can be
        /// proved unused, and prune keeps every pack.
        package var unreadableTrees = false

        package init() {}

        package var isEmpty: Bool { lostBlobs.isEmpty && affectedSnapshots.isEmpty && !unreadableTrees }
    }

    /// One pack to repack: the used blobs to copy, in pack order.
    package struct Repack: Sendable, Equatable {
        /// The pack's whole index record.
        package var record: IndexFile.Pack
        /// The used blobs, by offset.
        package var blobs: [IndexFile.Blob]

        package var pack: PackID { record.id }
        package var size: Int64 { record.size }
    }

    /// Packs to delete (present, no used blob), with their sizes.
    package private(set) var delete: [PackID: Int64] = [:]
    /// Packs to repack.
    package private(set) var repack: [Repack] = []
    /// Index records to carry into the new index unchanged.
    package private(set) var keep: [IndexFile.Pack] = []
    /// Packs no index names, to delete, with their sizes.
    package private(set) var deleteUnindexed: [PackID: Int64] = [:]
    /// Packs no index names that are kept (too young, or the repository is damaged).
    package private(set) var keepUnindexed: [PackID: Int64] = [:]
    /// Indexed packs that are missing and hold no used blob: their records are dropped.
    package private(set) var dropMissing: [PackID] = []
    /// Indexed packs that are missing or have the wrong size and hold a used blob: kept as they are.
    package private(set) var damagedKept: [PackID] = []
    /// Bytes of used blobs (each counted once).
    package private(set) var usedBytes: Int64 = 0
    /// Bytes of unused blobs left in kept packs after the plan.
    package private(set) var unusedBytesAfter: Int64 = 0
    /// Bytes of pack files before.
    package private(set) var sizeBefore: Int64 = 0
    /// The damage the plan was computed with.
    package let damage: Damage

    /// Computes the plan.
    ///
    /// - Parameters:
    ///   - used: Every blob the remaining snapshots reach.
    ///   - indexedPacks: The pack records of the index files in effect
    ///     (a pack recorded twice counts once: its first record).
    ///   - storedPacks: The pack files in the storage.
    ///   - damage: What the walk found lost; with damage, unindexed packs are kept.
    ///   - options: The limits.
    ///   - now: The time, for the safety margin.
    package init(
        used: Set<BlobKey>, indexedPacks: [IndexFile.Pack], storedPacks: [PackID: StoredPack],
        damage: Damage = Damage(), options: PruneOptions, now: Timestamp
    ) {
        self.damage = damage
        sizeBefore = storedPacks.values.reduce(0) { $0 + $1.size }

        var packs: [IndexFile.Pack] = []
        var seen: Set<PackID> = []
        for pack in indexedPacks where seen.insert(pack.id).inserted {
            packs.append(pack)
        }
        func isPresent(_ pack: IndexFile.Pack) -> Bool { storedPacks[pack.id]?.size == pack.size }

        // Used bytes per present pack, counting every copy, to choose among copies.
        var usedPerPack: [PackID: Int64] = [:]
        for pack in packs where isPresent(pack) {
            for blob in pack.blobs where used.contains(BlobKey(blob.type, blob.id)) {
                usedPerPack[pack.id, default: 0] += Int64(blob.length)
            }
        }
        // The chosen copy of each used blob.
        struct Copy: Equatable { var pack: PackID; var offset: UInt32; var weight: Int64 }
        var chosen: [BlobKey: Copy] = [:]
        for pack in packs where isPresent(pack) {
            let weight = usedPerPack[pack.id, default: 0]
            for blob in pack.blobs {
                let key = BlobKey(blob.type, blob.id)
                guard used.contains(key) else { continue }
                let candidate = Copy(pack: pack.id, offset: blob.offset, weight: weight)
                if let current = chosen[key] {
                    let better = (candidate.weight, current.pack, current.offset) > (current.weight, candidate.pack, candidate.offset)
                    if better { chosen[key] = candidate }
                } else {
                    chosen[key] = candidate
                }
            }
        }
        var candidates: [(pack: IndexFile.Pack, used: [IndexFile.Blob], usedBytes: Int64, unusedBytes: Int64)] = []
        for pack in packs {
            guard isPresent(pack) else {
                // Kept when it holds a used blob no present pack has: the
                // index record is all that is left of it.
                let holdsLostBlob = pack.blobs.contains { blob in
                    let key = BlobKey(blob.type, blob.id)
                    return used.contains(key) && chosen[key] == nil
                }
                if holdsLostBlob {
                    keep.append(pack)
                    damagedKept.append(pack.id)
                } else if let stored = storedPacks[pack.id] {
                    delete[pack.id] = stored.size
                } else {
                    dropMissing.append(pack.id)
                }
                continue
            }
            var usedBlobs: [IndexFile.Blob] = []
            var usedOffsets: Set<UInt32> = []
            var packUsed: Int64 = 0
            var packUnused: Int64 = 0
            for blob in pack.blobs {
                let key = BlobKey(blob.type, blob.id)
                // Each used blob counts once, in its chosen copy.
                if let copy = chosen[key], copy.pack == pack.id, copy.offset == blob.offset, usedOffsets.insert(blob.offset).inserted {
                    usedBlobs.append(blob)
                    packUsed += Int64(blob.length)
                } else {
                    packUnused += Int64(blob.length)
                }
            }
            usedBytes += packUsed
            if usedBlobs.isEmpty {
                delete[pack.id] = pack.size
            } else if packUnused == 0 {
                keep.append(pack)
            } else {
                candidates.append((pack, usedBlobs, packUsed, packUnused))
            }
        }

        // Repack the most wasteful packs first while too much is unused.
        var unusedLeft = candidates.reduce(0) { $0 + $1.unusedBytes }
        let limit = options.maximumUnused.limit(usedBytes: usedBytes)
        var repackBudget = options.maximumRepackSize ?? .max
        candidates.sort { lhs, rhs in
            let left = Double(lhs.unusedBytes) / Double(max(1, lhs.pack.size))
            let right = Double(rhs.unusedBytes) / Double(max(1, rhs.pack.size))
            return left != right ? left > right : lhs.pack.id < rhs.pack.id
        }
        for candidate in candidates {
            if unusedLeft > limit, candidate.usedBytes <= repackBudget {
                repack.append(Repack(record: candidate.pack, blobs: candidate.used.sorted { $0.offset < $1.offset }))
                repackBudget -= candidate.usedBytes
                unusedLeft -= candidate.unusedBytes
            } else {
                keep.append(candidate.pack)
            }
        }
        unusedBytesAfter = unusedLeft

        for (id, stored) in storedPacks where !seen.contains(id) {
            let isOld = stored.modified.map { modified in
                let (age, overflow) = now.nanoseconds.subtractingReportingOverflow(modified.nanoseconds)
                return !overflow && age >= Self.nanoseconds(options.safetyMargin)
            } ?? true
            if damage.isEmpty && isOld {
                deleteUnindexed[id] = stored.size
            } else {
                keepUnindexed[id] = stored.size
            }
        }
        keep.sort { $0.id < $1.id }
        repack.sort { $0.pack < $1.pack }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : seconds
    }

    /// Whether the plan changes the index (and so needs new index files).
    package var changesIndex: Bool { !delete.isEmpty || !repack.isEmpty || !dropMissing.isEmpty }

    /// Whether the plan does nothing at all.
    package var isEmpty: Bool { !changesIndex && deleteUnindexed.isEmpty }

    /// Bytes of packs deleted (indexed and unindexed).
    package var deletedBytes: Int64 { delete.values.reduce(0, +) + deleteUnindexed.values.reduce(0, +) }
    /// Bytes of packs repacked (their old size).
    package var repackedBytes: Int64 { repack.reduce(0) { $0 + $1.size } }
    /// Bytes of blobs copied by repacking.
    package var copiedBytes: Int64 { repack.reduce(0) { $0 + $1.blobs.reduce(0) { $0 + Int64($1.length) } } }
    /// The estimated size of the pack files afterwards (new pack headers not counted).
    package var estimatedSizeAfter: Int64 { sizeBefore - deletedBytes - repackedBytes + copiedBytes }
}
