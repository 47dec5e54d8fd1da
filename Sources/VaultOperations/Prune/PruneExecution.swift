import VaultCodecs
import VaultRepository
import VaultStorage

/// The writing half of a prune: repacking, index rewriting and removal,
/// each step finished before the next begins (the order and why:
/// docs/format.md, "Prune"; ``RepositoryPrune`` calls the steps).
struct PruneExecution {
    let repository: Repository
    /// Keep a pack to repack whole when one of its blobs turns out damaged, instead of stopping.
    let ignoreDamaged: Bool
    let interrupt: InterruptFlag
    let lock: PruneLockScope.HeldLock

    /// The most pack records one new index file holds.
    static let packsPerIndexFile = 4096
    /// How many packs are read and checked at once while repacking.
    static let repackWidth = max(1, min(4, ProcessorCount.count))
    /// How many objects are removed at once (each removal syncs its folder).
    static let removalWidth = 8

    /// What repacking did.
    struct Repacked {
        /// Index records of the new packs (stored, durable).
        var written: [IndexFile.Pack] = []
        /// Packs that turned out damaged (only with `ignoreDamaged`): kept whole.
        var damaged: [PrunePlan.Repack] = []
    }

    /// Copies the used blobs of each pack to repack, as stored, into new packs.
    ///
    /// Several packs are read and checked at once; the copies go into the
    /// new packs one at a time.
    ///
    /// - Throws: ``RepositoryError`` `.damaged` when a blob does not open or
    ///   match its ID (unless damage is ignored); `.storage`;
    ///   ``OperationError`` `.interrupted`.
    func repack(_ entries: [PrunePlan.Repack]) async throws -> Repacked {
        var result = Repacked()
        guard !entries.isEmpty else { return result }
        var repacker = PackRepacker(repository: repository)
        try await withThrowingTaskGroup(of: (PrunePlan.Repack, [(IndexFile.Blob, ArraySlice<UInt8>)]?).self) { group in
            var next = 0
            func start(_ group: inout ThrowingTaskGroup<(PrunePlan.Repack, [(IndexFile.Blob, ArraySlice<UInt8>)]?), any Error>) {
                let entry = entries[next]
                next += 1
                group.addTask { (entry, try await readCheckedUnlessIgnored(entry)) }
            }
            while next < min(Self.repackWidth, entries.count) {
                start(&group)
            }
            while let (entry, blobs) = try await group.next() {
                try interrupt.check()
                try await lock.checkStillHeld()
                if let blobs {
                    for (blob, stored) in blobs {
                        try await repacker.add(type: blob.type, id: blob.id, rawLength: blob.rawLength, stored: stored)
                    }
                } else {
                    result.damaged.append(entry)
                }
                if next < entries.count {
                    start(&group)
                }
            }
        }
        try await repacker.flush()
        result.written = repacker.stored.map { pack in
            IndexFile.Pack(id: pack.id, size: pack.size, blobs: pack.blobs.map {
                IndexFile.Blob(id: $0.key.id, type: $0.key.type, offset: $0.location.offset, length: $0.location.length, rawLength: $0.location.rawLength)
            })
        }
        return result
    }

    /// Writes index files naming `records`: all but the last supersede
    /// nothing, the last supersedes every file in `old`.
    ///
    /// - Returns: The IDs of the files written.
    func writeIndex(_ records: [IndexFile.Pack], superseding old: [IndexFileID]) async throws -> Set<IndexFileID> {
        try await lock.checkStillHeld()
        let sorted = records.sorted { $0.id < $1.id }
        var chunks: [ArraySlice<IndexFile.Pack>] = stride(from: 0, to: sorted.count, by: Self.packsPerIndexFile).map {
            sorted[$0..<min($0 + Self.packsPerIndexFile, sorted.count)]
        }
        if chunks.isEmpty { chunks = [[]] }
        var written: Set<IndexFileID> = []
        for (position, packs) in chunks.enumerated() {
            let isLast = position == chunks.count - 1
            // A file identical to an old one (plain repositories) is that file: it must not supersede itself.
            let supersedes = isLast ? old.filter { !written.contains($0) } : []
            written.insert(try await repository.saveIndex(IndexFile(supersedes: supersedes, packs: Array(packs))))
        }
        return written
    }

    /// Removes objects, several at a time; one already gone counts as removed.
    func remove(_ names: [ObjectName]) async throws {
        guard !names.isEmpty else { return }
        let repository = self.repository
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for (position, name) in names.enumerated() {
                if running == Self.removalWidth {
                    try await group.next()
                    running -= 1
                }
                try interrupt.check()
                if position % 64 == 0 {
                    try await lock.checkStillHeld()
                }
                group.addTask { try await repository.removeObject(name) }
                running += 1
            }
            try await group.waitForAll()
        }
    }

    /// ``readChecked(_:)``, but `nil` for a damaged pack when damage is ignored.
    private func readCheckedUnlessIgnored(_ entry: PrunePlan.Repack) async throws(RepositoryError) -> [(IndexFile.Blob, ArraySlice<UInt8>)]? {
        do {
            return try await readChecked(entry)
        } catch {
            guard error.code == .damaged, ignoreDamaged else { throw error }
            return nil
        }
    }

    /// Reads the used blobs of a pack to repack (one range read from the
    /// first to the last) and checks that each opens and matches its ID,
    /// returning them as stored.
    private func readChecked(_ entry: PrunePlan.Repack) async throws(RepositoryError) -> [(IndexFile.Blob, ArraySlice<UInt8>)] {
        guard let first = entry.blobs.first, let last = entry.blobs.last else { return [] }
        let start = Int64(first.offset)
        let end = Int64(last.offset) + Int64(last.length)
        guard start < end, end <= entry.size else {
            throw RepositoryError(.damaged, "pack \(entry.pack.shortHex) is damaged: its index records lie outside the pack")
        }
        let bytes = try await repository.loadPackRange(entry.pack, start..<end)
        var decoder = BlobDecoder(cipher: repository.cipher, identifier: repository.identifier)
        var result: [(IndexFile.Blob, ArraySlice<UInt8>)] = []
        result.reserveCapacity(entry.blobs.count)
        for blob in entry.blobs {
            let lower = Int(Int64(blob.offset) - start)
            let upper = lower + Int(blob.length)
            guard lower >= 0, upper <= bytes.count else {
                throw RepositoryError(.damaged, "pack \(entry.pack.shortHex) is damaged: blob \(blob.id.shortHex) lies outside the pack")
            }
            let stored = bytes[lower..<upper]
            do {
                _ = try stored.withUnsafeBytes { buffer throws(RepositoryError) in
                    try decoder.decode(buffer, id: blob.id, rawLength: Int(blob.rawLength))
                }
            } catch {
                throw RepositoryError(.damaged, "pack \(entry.pack.shortHex): \(error); prune deleted nothing of it")
            }
            result.append((blob, stored))
        }
        return result
    }
}
