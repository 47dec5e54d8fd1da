import VaultCodecs
import VaultRepository
import VaultStorage

/// One run of ``RepositoryVerifier``: the state it builds up, phase by phase.
///
/// Phases: key files, index files, packs (sizes, headers, and reading),
/// then snapshots and trees, and last, tracing lost blobs to paths. Packs
/// come before trees so that the tree walk knows which blobs are lost and
/// can mark the trees that lead to them in the same walk.
struct VerifyPass {

    let repository: Repository
    let readData: VerifyDataSelection
    let maximumConcurrentPacks: Int
    let readWindowSize: Int64
    let progress: @Sendable (VerifyProgress) -> Void
    var report = VerifyReport()
    var index = VerifyIndex()
    var damage = VerifyBlobDamage()

    /// The walk of the snapshots' trees: which trees have something lost
    /// below them (kept for tracing paths). Tree maps hold tree blobs only,
    /// so they are keyed by the tree's ID.
    var treeWalker = SnapshotTreeWalker(keepsAffectedTrees: true)
    /// Trees that cannot be read, and why.
    var lostTrees: [Digest256: VerifyBlobLoss] = [:]
    /// Blobs no index names that a finding already reports.
    var reportedMissing: Set<BlobKey> = []
    /// The readable snapshots, oldest first.
    var snapshots: [(id: SnapshotID, manifest: SnapshotManifest)] = []

    init(verifier: RepositoryVerifier, progress: @escaping @Sendable (VerifyProgress) -> Void) {
        repository = verifier.repository
        readData = verifier.readData
        maximumConcurrentPacks = verifier.maximumConcurrentPacks
        readWindowSize = verifier.readWindowSize
        self.progress = progress
    }

    /// Runs every phase.
    mutating func run() async throws(RepositoryError) -> VerifyReport {
        progress(VerifyProgress(phase: .index, completed: 0, total: nil, bytesRead: 0))
        try await checkKeys()
        index = try await VerifyIndex.load(from: repository, into: &report)
        try await checkPacks()
        try await checkSnapshots()
        traceAffectedPaths()
        return report
    }

    /// Checks that every key file matches its name and decodes (only one
    /// of them opens with the password given).
    mutating func checkKeys() async throws(RepositoryError) {
        for info in try await repository.list(.keys) {
            report.statistics.keyFiles += 1
            guard let id = KeyID(hex: info.name.name) else { continue }
            let bytes: [UInt8]
            do {
                bytes = try await repository.storage.get(info.name)
            } catch {
                report.findings.append(VerifyFinding(.keyDamaged, .key(id), "cannot be read: \(error.message)"))
                continue
            }
            if SHA256Hasher.hash(bytes) != id.digest {
                report.findings.append(VerifyFinding(.keyDamaged, .key(id), "damaged: its contents do not match its name"))
            } else {
                do {
                    _ = try KeyFile(decoding: bytes, what: "key \(id.shortHex)")
                } catch {
                    report.findings.append(VerifyFinding(.keyDamaged, .key(id), error.verifyProblem))
                }
            }
        }
    }

    /// Checks every indexed pack (and reads the selected ones), and reads
    /// the headers of unindexed packs, a few packs at a time.
    mutating func checkPacks() async throws(RepositoryError) {
        var stored: [PackID: Int64] = [:]
        for info in try await repository.list(.data) {
            if let id = PackID(hex: info.name.name) {
                stored[id] = info.size
            }
        }
        let indexed = index.packs.keys.sorted()
        let unindexed = stored.keys.filter { index.packs[$0] == nil }.sorted()
        let checks = indexed.map {
            VerifyPackCheck(id: $0, indexed: index.packs[$0], storedSize: stored[$0], readData: readData.includes($0), readWindowSize: readWindowSize)
        } + unindexed.map { VerifyPackCheck(id: $0, indexed: nil, storedSize: stored[$0], readData: false) }
        report.statistics.packs = indexed.count
        report.statistics.unindexedPacks = unindexed.count

        var results = [VerifyPackCheck.Result?](repeating: nil, count: checks.count)
        var cancelled: RepositoryError?
        let repository = self.repository
        let limit = maximumConcurrentPacks
        var next = 0
        var completed = 0
        var bytesRead: Int64 = 0
        await BoundedConcurrency.run(limit: limit) { () -> (@Sendable () async -> (Int, VerifyPackCheck.Result))? in
            guard next < checks.count else { return nil }
            let check = checks[next]
            let position = next
            next += 1
            return { (position, await check.run(in: repository)) }
        } collect: { (position, result) -> BoundedConcurrency.Decision in
            // After a cancellation, what the cancelled checks return is not reported.
            guard cancelled == nil else { return .stopStarting }
            results[position] = result
            completed += 1
            bytesRead += result.bytesRead
            progress(VerifyProgress(phase: .packs, completed: completed, total: checks.count, bytesRead: bytesRead))
            do throws(RepositoryError) {
                try RepositoryLock.checkCancellation()
            } catch {
                cancelled = error
                return .stopStarting
            }
            return .proceed
        }
        if let cancelled {
            throw cancelled
        }
        // Merge in pack order, so the report does not depend on which task finished first.
        for (check, result) in zip(checks, results) {
            guard let result else { continue }
            report.findings += result.findings
            for loss in result.losses {
                damage.record(loss)
            }
            for blob in result.unindexedBlobs {
                damage.recordUnindexed(blob, in: check.id)
            }
            if result.wasRead {
                report.statistics.packsRead += 1
                report.statistics.bytesRead += result.bytesRead
                report.statistics.blobsRead += result.blobsRead
            }
        }
    }
}
