import VaultCodecs
import VaultRepository
import VaultStorage

/// The checks of one pack file, run in a task of its own.
///
/// An indexed pack must exist with the size the index records, and its
/// header (one range read of its tail) must list exactly the blobs the
/// index does. When the pack is selected for reading, it is read whole, a
/// window at a time (``VerifyPackReadPlan``): its SHA-256 must be its name,
/// and every blob the index places in it must open, decompress and hash to
/// its ID. An unindexed pack only has its
/// header read, to learn which blobs it could give back.
struct VerifyPackCheck: Sendable {
    /// What one pack check found.
    struct Result: Sendable {
        /// Errors and notes about the pack and its blobs, in blob order.
        var findings: [VerifyFinding] = []
        /// Bad copies of blobs in this pack.
        var losses: [VerifyBlobLoss] = []
        /// For an unindexed pack: the blobs its header lists.
        var unindexedBlobs: [BlobKey] = []
        /// Bytes read whole (0 unless the pack was read).
        var bytesRead: Int64 = 0
        /// Blobs decoded.
        var blobsRead = 0
        /// Whether the pack was read whole.
        var wasRead = false
    }

    /// The pack's ID.
    var id: PackID
    /// The index's record of it; `nil` for an unindexed pack.
    var indexed: VerifyIndex.Pack?
    /// Its size in the storage; `nil` when it is missing.
    var storedSize: Int64?
    /// Whether to read it whole.
    var readData: Bool
    /// The size a read window starts from (``VerifyPackReadPlan``).
    var readWindowSize: Int64 = VerifyPackReadPlan.defaultWindowSize

    /// Runs the checks. Failures become findings; nothing throws.
    func run(in repository: Repository) async -> Result {
        var result = Result()
        guard let indexed else {
            await checkUnindexed(in: repository, into: &result)
            return result
        }
        guard let storedSize else {
            result.findings.append(VerifyFinding(.packMissing, .pack(id), "missing; the index lists \(Self.blobCount(indexed.blobs.count)) in it"))
            result.losses = indexed.blobs.map { loss($0, "the pack is missing") }
            return result
        }
        var packIsReported = false
        if storedSize != indexed.size {
            let pastEnd = indexed.blobs.filter { Int64($0.offset) + Int64($0.length) > storedSize }
            var message = "\(storedSize) bytes where the index says \(indexed.size)"
            if !pastEnd.isEmpty {
                message += "; \(pastEnd.count) of its \(Self.blobCount(indexed.blobs.count)) lie past its end"
            }
            result.findings.append(VerifyFinding(.packSizeMismatch, .pack(id), message))
            result.losses = pastEnd.map { loss($0, "lies past the end of the pack") }
            packIsReported = true
        } else {
            do {
                let header = try await repository.loadPackHeader(id, size: storedSize)
                if let difference = Self.difference(between: header.locations(pack: id), and: indexed.blobs) {
                    result.findings.append(VerifyFinding(.packHeaderMismatch, .pack(id), "its header disagrees with the index: \(difference)"))
                    packIsReported = true
                }
            } catch {
                result.findings.append(VerifyFinding(.packHeaderDamaged, .pack(id), "header \(error.verifyProblem)"))
                packIsReported = true
            }
        }
        if readData {
            await readWhole(indexed, size: storedSize, in: repository, packIsReported: packIsReported, into: &result)
        }
        return result
    }

    /// Reads the pack whole, a window at a time, hashing it and decoding
    /// every blob the index places in it. A read that fails part way leaves
    /// only an unreadable-pack finding, as if nothing had been read.
    private func readWhole(_ indexed: VerifyIndex.Pack, size: Int64, in repository: Repository, packIsReported: Bool, into result: inout Result) async {
        let name = ObjectName(id)
        let plan = VerifyPackReadPlan(blobs: indexed.blobs, packSize: size, windowSize: readWindowSize)
        var hasher = SHA256Hasher()
        var bytesRead: Int64 = 0
        var findings: [VerifyFinding] = []
        var losses: [VerifyBlobLoss] = []
        var decoded = 0
        var decoder = BlobDecoder(cipher: repository.cipher, identifier: repository.identifier)
        for window in plan {
            let bytes: [UInt8]
            do {
                bytes = try await repository.storage.get(name, range: window.range)
            } catch {
                result.findings.append(VerifyFinding(.packUnreadable, .pack(id), "cannot be read: \(error.message)"))
                return
            }
            guard Int64(bytes.count) == Int64(window.range.count) else {
                result.findings.append(VerifyFinding(
                    .packUnreadable, .pack(id), "cannot be read: \(bytes.count) bytes where \(window.range.count) were asked for at offset \(window.range.lowerBound)"))
                return
            }
            hasher.update(bytes)
            bytesRead += Int64(bytes.count)
            bytes.withUnsafeBytes { buffer in
                for blob in indexed.blobs[window.blobs] {
                    // Where the blob lies in this window; the plan puts every blob that
                    // ends inside the pack wholly in the window it starts in.
                    let start = Int64(blob.offset) - window.range.lowerBound
                    let end = start + Int64(blob.length)
                    guard start >= 0, end <= Int64(buffer.count) else { continue }  // Reported as lying past the end.
                    decoded += 1
                    do throws(RepositoryError) {
                        // Lengths no writer makes are damage, found before inflating what they claim.
                        try repository.checkClaimedLengths(
                            BlobLocation(pack: id, type: blob.type, offset: blob.offset, length: blob.length, rawLength: blob.rawLength), id: blob.id)
                        _ = try decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[Int(start)..<Int(end)]), id: blob.id, rawLength: Int(blob.rawLength))
                    } catch {
                        let reason = error.verifyReason
                        findings.append(VerifyFinding(.blobDamaged, .blob(blob.id, blob.type, pack: id), "damaged: \(reason)"))
                        losses.append(loss(blob, reason))
                    }
                }
            }
        }
        result.wasRead = true
        result.bytesRead = bytesRead
        let digest = hasher.finalize()
        if digest != id.digest, !packIsReported {
            result.findings.append(VerifyFinding(.packHashMismatch, .pack(id), "contents do not match its name (their SHA-256 is \(digest.shortHex))"))
        }
        result.blobsRead = decoded
        result.findings += findings
        result.losses += losses
    }

    /// Reads an unindexed pack's header to learn which blobs it holds.
    private func checkUnindexed(in repository: Repository, into result: inout Result) async {
        let size = storedSize ?? 0
        do {
            let header = try await repository.loadPackHeader(id, size: size)
            result.unindexedBlobs = header.entries.map { BlobKey($0.type, $0.id) }
            result.findings.append(VerifyFinding(
                .packUnindexed, .pack(id),
                "in no index (\(Self.blobCount(header.entries.count))): an interrupted backup left it, or its index file is lost; "
                    + "the next backup or '\(VerifyRepairCommand.index)' indexes it"
            ))
        } catch {
            result.findings.append(VerifyFinding(
                .packUnindexed, .pack(id), "in no index, and its header is \(error.verifyProblem)"
            ))
        }
    }

    private func loss(_ blob: IndexFile.Blob, _ reason: String) -> VerifyBlobLoss {
        VerifyBlobLoss(blob: blob.id, type: blob.type, pack: id, reason: reason)
    }

    private static func blobCount(_ count: Int) -> String {
        count == 1 ? "1 blob" : "\(count) blobs"
    }

    /// The first difference between a header's blobs and the index's, or `nil` when they agree.
    static func difference(between header: [(key: BlobKey, location: BlobLocation)], and index: [IndexFile.Blob]) -> String? {
        for (headerBlob, indexBlob) in zip(header, index) {
            let location = headerBlob.location
            if headerBlob.key.id != indexBlob.id || location.type != indexBlob.type || location.offset != indexBlob.offset
                || location.length != indexBlob.length || location.rawLength != indexBlob.rawLength {
                return "at offset \(location.offset) the header lists \(describe(headerBlob.key.id, location.type, location.length, location.rawLength)), "
                    + "the index \(describe(indexBlob.id, indexBlob.type, indexBlob.length, indexBlob.rawLength)) at offset \(indexBlob.offset)"
            }
        }
        if header.count != index.count {
            return "the header lists \(blobCount(header.count)), the index \(blobCount(index.count))"
        }
        return nil
    }

    private static func describe(_ id: Digest256, _ type: BlobType, _ length: UInt32, _ rawLength: UInt32) -> String {
        "\(type.verifyName) \(id.shortHex) (\(length) bytes stored, \(rawLength) plain)"
    }
}
