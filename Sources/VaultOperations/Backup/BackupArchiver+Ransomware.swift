import VaultCodecs
import VaultRepository

/// A backup's ransomware alarm: why the snapshot is suspect, and where the
/// last clean copy is.
package struct RansomwareAlarm: Sendable {
    /// The counts and examples, as stored in the manifest.
    package var suspicion: SnapshotSuspicion
    /// The threshold that was passed.
    package var threshold: RansomwareThreshold
    /// The newest earlier snapshot of the same host and paths that is not suspect, if any.
    package var previousClean: (id: SnapshotID, manifest: SnapshotManifest)?
}

/// The archiver's side of the ransomware check: it feeds
/// ``RansomwareEvidence`` with what the backup reads anyway (a file's first
/// chunk, the parent's blob sizes from the index) and reads nothing more.
extension BackupArchiver {
    /// Whether the check runs.
    private var checksRansomware: Bool { options.ransomwareThreshold != nil }

    /// Keeps the first bytes of the file being read (called with its first chunk).
    func noteFirstChunk(_ bytes: UnsafeRawBufferPointer, of path: [UInt8]) {
        guard checksRansomware else { return }
        ransomware.sample = (path, ContentSample(firstBytes: bytes))
    }

    /// Records a file the backup read, unless its contents are those of the parent.
    ///
    /// - Parameters:
    ///   - path: The file's path.
    ///   - node: The file as stored in the new snapshot.
    ///   - parent: The entry of the same name in the parent snapshot, if any.
    func noteFileRead(path: [UInt8], node: TreeNode, parent: TreeNode?) {
        guard checksRansomware else { return }
        let sampled = ransomware.sample
        ransomware.sample = nil
        // No sample: an empty file. A sample of another path: a read that failed.
        guard let sampled, sampled.path == path else { return }
        let sample = sampled.sample
        let previousFile = parent.flatMap { $0.type == .file ? $0 : nil }
        if let previousFile, previousFile.content == node.content { return }
        let directory = Array(path.dropLast(node.name.count))
        let observation = RansomwareObservation(name: node.name, previous: previousFile.map(compressibility(of:)), sample: sample)
        ransomware.evidence.record(observation, inDirectory: directory)
    }

    /// Pairs a finished directory's new files with the files it lost.
    func noteDirectoryFinished(_ path: [UInt8], removed: some Sequence<TreeNode>) {
        guard checksRansomware else { return }
        let files = removed.filter { $0.type == .file }.map { RansomwareRemovedFile(name: $0.name, previous: compressibility(of: $0)) }
        ransomware.evidence.finishDirectory(path, removed: files)
    }

    /// The alarm, when the evidence passes the threshold.
    func ransomwareAlarm(
        snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], host: String, paths: [String], time: Timestamp
    ) -> RansomwareAlarm? {
        guard let threshold = options.ransomwareThreshold, let suspicion = ransomware.evidence.verdict(threshold) else { return nil }
        let previous = CleanSnapshots.previousClean(in: snapshots, lineage: SnapshotLineage(host: host, paths: paths), before: time)
        return RansomwareAlarm(suspicion: suspicion, threshold: threshold, previousClean: previous)
    }

    /// How a version in the repository compressed, from its blobs' sizes in the index.
    private func compressibility(of file: TreeNode) -> Compressibility {
        var stored: Int64 = 0
        var raw: Int64 = 0
        for id in file.content {
            guard let location = writer.index.location(of: .data(id)) else { return .unknown }
            let (newStored, storedOverflow) = stored.addingReportingOverflow(Int64(location.length))
            let (newRaw, rawOverflow) = raw.addingReportingOverflow(Int64(location.rawLength))
            guard !storedOverflow, !rawOverflow else { return .unknown }
            (stored, raw) = (newStored, newRaw)
        }
        return Compressibility(
            storedBytes: stored, rawBytes: raw, blobs: file.content.count,
            overheadPerBlob: repository.cipher.overhead + 1, compressionEnabled: repository.config.compression != CompressionSetting.none
        )
    }
}

/// What the archiver keeps for the ransomware check.
struct RansomwareTracking {
    /// The sample of the file being read, and its path.
    var sample: (path: [UInt8], sample: ContentSample)?
    /// What the backup has seen so far.
    var evidence = RansomwareEvidence()
}
