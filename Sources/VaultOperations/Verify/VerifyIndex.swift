import VaultCodecs
import VaultRepository

/// The repository's index as `verify` loads it: damaged index files are
/// findings rather than failures, and every copy of every blob is kept, so
/// a blob whose first copy is damaged is not lost while another copy is good.
struct VerifyIndex {
    /// One pack as the index describes it.
    struct Pack: Sendable {
        /// The pack file's size.
        var size: Int64
        /// Its blobs, by offset.
        var blobs: [IndexFile.Blob]
    }

    /// The first location of every indexed blob (by type and ID).
    private(set) var chunks = ChunkIndex()
    /// Every indexed pack.
    private(set) var packs: [PackID: Pack] = [:]
    /// The locations of blobs stored in more than one pack, beyond the one in ``chunks``.
    private(set) var extraCopies: [BlobKey: [BlobLocation]] = [:]

    /// Every location of a blob, the first one first; empty when no index names it.
    func copies(of key: BlobKey) -> [BlobLocation] {
        guard let first = chunks.location(of: key) else { return [] }
        return [first] + (extraCopies[key] ?? [])
    }

    /// How many packs hold the blob.
    func copyCount(of key: BlobKey) -> Int {
        guard chunks.contains(key) else { return 0 }
        return 1 + (extraCopies[key]?.count ?? 0)
    }

    /// Reads every index file, reporting damaged ones, conflicting pack
    /// records and blobs stored more than once.
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - report: Receives the findings and the number of index files.
    /// - Throws: ``RepositoryError`` only when the index files cannot be listed.
    static func load(from repository: Repository, into report: inout VerifyReport) async throws(RepositoryError) -> VerifyIndex {
        var decoded: [(id: IndexFileID, file: IndexFile)] = []
        var damaged: [(id: IndexFileID, error: RepositoryError)] = []
        for info in try await repository.list(.index) {
            guard let id = IndexFileID(hex: info.name.name) else { continue }
            do {
                decoded.append((id, try IndexFile(decoding: try await repository.loadObject(info.name), what: "index \(id.shortHex)")))
            } catch {
                damaged.append((id, error))
            }
        }
        report.statistics.indexFiles = decoded.count + damaged.count
        let superseded = Set(decoded.flatMap(\.file.supersedes))
        for (id, error) in damaged {
            if superseded.contains(id) {
                report.findings.append(VerifyFinding(.supersededIndexDamaged, .index(id), "\(error.verifyProblem); another index file supersedes it"))
            } else {
                report.findings.append(VerifyFinding(.indexDamaged, .index(id), "\(error.verifyProblem); the packs it lists are unindexed: '\(VerifyRepairCommand.index)' rebuilds the index"))
            }
        }

        var index = VerifyIndex()
        var inEffect = decoded.filter { !superseded.contains($0.id) }
        decoded = []  // The files in effect are now referenced once, so their records can be sorted in place.
        index.chunks.reserveCapacity(inEffect.reduce(0) { total, entry in total + entry.file.packs.reduce(0) { $0 + $1.blobs.count } })
        var describedBy: [PackID: IndexFileID] = [:]
        for fileIndex in inEffect.indices {
            let fileID = inEffect[fileIndex].id
            // Taken out of the decoded file, so that each pack's blob records have
            // one owner and are sorted in place: one copy of them, not two.
            var packs: [IndexFile.Pack] = []
            swap(&packs, &inEffect[fileIndex].file.packs)
            for packIndex in packs.indices {
                VerifyPackReadPlan.sortForPlanning(&packs[packIndex].blobs)
                let pack = packs[packIndex]
                let blobs = pack.blobs
                if let existing = index.packs[pack.id] {
                    if existing.size != pack.size || existing.blobs != blobs {
                        report.findings.append(VerifyFinding(
                            .indexConflict, .index(fileID),
                            "describes pack \(pack.id.shortHex) differently from index \(describedBy[pack.id]!.shortHex)"
                        ))
                    }
                    continue
                }
                index.packs[pack.id] = Pack(size: pack.size, blobs: blobs)
                describedBy[pack.id] = fileID
                for blob in blobs {
                    let location = BlobLocation(pack: pack.id, type: blob.type, offset: blob.offset, length: blob.length, rawLength: blob.rawLength)
                    let key = BlobKey(blob.type, blob.id)
                    if !index.chunks.insert(key, location), !index.copies(of: key).contains(where: { $0.pack == pack.id }) {
                        index.extraCopies[key, default: []].append(location)
                    }
                }
            }
        }
        if let example = index.extraCopies.min(by: { $0.key < $1.key }) {
            let packs = index.copies(of: example.key).map(\.pack.shortHex).joined(separator: ", ")
            let count = index.extraCopies.count
            report.findings.append(VerifyFinding(
                .blobDuplicated, .repository,
                "\(count) \(count == 1 ? "blob is" : "blobs are") stored in more than one pack "
                    + "(e.g. \(example.key.type.verifyName) \(example.key.id.shortHex) in packs \(packs)); '\(VerifyRepairCommand.prune)' removes the extra copies"
            ))
        }
        return index
    }
}
