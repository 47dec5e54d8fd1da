import VaultCodecs
import VaultRepository
import VaultStorage

/// One read of a restore: a byte range of a pack holding one or more of
/// the blobs the restore needs.
struct RestorePackRead: Sendable {
    /// A blob inside the range, and where its plaintext goes.
    struct Blob: Sendable {
        var id: Digest256
        var offset: Int64
        var length: Int
        var rawLength: Int
        var placements: [RestorePlan.Placement]
    }

    /// The pack.
    var pack: PackID
    /// Where the range starts in the pack.
    var start: Int64
    /// Where it ends.
    var end: Int64
    /// The blobs in it, by offset.
    var blobs: [Blob]

    /// The most bytes reading it holds at once: the range as stored and
    /// the plaintexts of its blobs (with what each costs beyond its bytes,
    /// ``RestoreInFlightBudget/overheadPerChunk``), which
    /// ``decode(from:)`` holds together until it returns.
    var cost: Int {
        blobs.reduce(Int(end - start)) { $0 + $1.rawLength + RestoreInFlightBudget.overheadPerChunk }
    }

    /// A decoded blob, or why it could not be decoded, and where it goes.
    struct Decoded: Sendable {
        var id: Digest256
        var result: Result<[UInt8], RepositoryError>
        var isAllZero: Bool
        var placements: [RestorePlan.Placement]
    }

    /// Groups the chunks by pack and coalesces neighbours into ranges:
    /// each pack is read once, front to back, in large requests.
    ///
    /// The plan's chunks are taken: each read carries its blobs' placements,
    /// so that the chunk table need not be kept while the restore runs.
    ///
    /// - Parameters:
    ///   - chunks: The chunks to read, where each is stored and where it goes.
    ///   - maximumGap: Bytes between two needed blobs that are read and
    ///     dropped rather than starting a new request.
    ///   - maximumLength: A range grows no larger than this (unless one blob is).
    /// - Returns: The reads, packs ordered by the first file that needs them,
    ///   so that files are completed (and closed) roughly in walk order.
    static func plan(
        _ chunks: inout [Digest256: RestorePlan.Chunk], maximumGap: Int64 = 256 * 1024,
        maximumLength: Int64 = 4 * 1024 * 1024
    ) -> [RestorePackRead] {
        var byPack: [PackID: (firstFile: Int32, blobs: [Blob])] = [:]
        for (id, chunk) in chunks {
            let location = chunk.location
            let firstFile = chunk.placements.first?.file ?? 0
            let blob = Blob(
                id: id, offset: Int64(location.offset), length: Int(location.length), rawLength: Int(location.rawLength),
                placements: chunk.placements)
            byPack[location.pack, default: (firstFile: firstFile, blobs: [])].blobs.append(blob)
            if let known = byPack[location.pack]?.firstFile, firstFile < known {
                byPack[location.pack]?.firstFile = firstFile
            }
        }
        chunks = [:]
        var reads: [(order: Int32, read: RestorePackRead)] = []
        reads.reserveCapacity(byPack.count)
        for (pack, entry) in byPack {
            var current: RestorePackRead?
            for blob in entry.blobs.sorted(by: { $0.offset < $1.offset }) {
                let blobEnd = blob.offset + Int64(blob.length)
                if var range = current, blob.offset >= range.end, blob.offset - range.end <= maximumGap, blobEnd - range.start <= maximumLength {
                    range.end = blobEnd
                    range.blobs.append(blob)
                    current = range
                } else {
                    if let range = current { reads.append((entry.firstFile, range)) }
                    current = RestorePackRead(pack: pack, start: blob.offset, end: blobEnd, blobs: [blob])
                }
            }
            if let range = current { reads.append((entry.firstFile, range)) }
        }
        reads.sort { ($0.order, $0.read.pack, $0.read.start) < ($1.order, $1.read.pack, $1.read.start) }
        return reads.map(\.read)
    }

    /// Reads the range and decodes its blobs, checking each against its ID.
    ///
    /// - Returns: Every blob of the range, decoded or with its error.
    func decode(from repository: Repository) async -> [Decoded] {
        let name = ObjectName(pack)
        let bytes: [UInt8]
        do {
            bytes = try await repository.storage.get(name, range: start..<end)
        } catch {
            let failure = RepositoryError(error)
            return blobs.map { Decoded(id: $0.id, result: .failure(failure), isAllZero: false, placements: $0.placements) }
        }
        guard bytes.count == Int(end - start) else {
            let failure = RepositoryError(.damaged, "pack \(pack.shortHex): the storage returned \(bytes.count) of \(end - start) bytes asked for")
            return blobs.map { Decoded(id: $0.id, result: .failure(failure), isAllZero: false, placements: $0.placements) }
        }
        // File contents are data blobs: none may claim more than a chunk (memory on crafted input).
        var decoder = BlobDecoder(cipher: repository.cipher, identifier: repository.identifier, maximumRawLength: repository.config.chunker.maxSize)
        var decoded: [Decoded] = []
        decoded.reserveCapacity(blobs.count)
        bytes.withUnsafeBytes { buffer in
            for blob in blobs {
                let from = Int(blob.offset - start)
                let stored = UnsafeRawBufferPointer(rebasing: buffer[from..<(from + blob.length)])
                do throws(RepositoryError) {
                    let plaintext = try decoder.decode(stored, id: blob.id, rawLength: blob.rawLength)
                    decoded.append(Decoded(
                        id: blob.id, result: .success(plaintext), isAllZero: plaintext.withUnsafeBytes(Self.isAllZero), placements: blob.placements))
                } catch {
                    decoded.append(Decoded(id: blob.id, result: .failure(error), isAllZero: false, placements: blob.placements))
                }
            }
        }
        return decoded
    }

    /// Whether every byte is zero.
    static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        // Most chunks fail on the first word.
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) != 0 { return false }
            index += 8
        }
        while index < count {
            if bytes[index] != 0 { return false }
            index += 1
        }
        return true
    }
}
