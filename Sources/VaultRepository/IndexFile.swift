import VaultCodecs

/// One index file: where the blobs of some packs are (docs/format.md, "Index files").
package struct IndexFile: Sendable, Equatable {
    /// One pack and its blobs.
    package struct Pack: Sendable, Equatable {
        /// The pack's ID.
        package var id: PackID
        /// The pack file's size in bytes.
        package var size: Int64
        /// The pack's blobs.
        package var blobs: [Blob]

        /// Creates a pack record.
        package init(id: PackID, size: Int64, blobs: [Blob]) {
            self.id = id
            self.size = size
            self.blobs = blobs
        }
    }

    /// One blob in a pack.
    package struct Blob: Sendable, Equatable {
        /// The blob's ID.
        package var id: Digest256
        /// Data or tree.
        package var type: BlobType
        /// The stored blob's offset in its pack.
        package var offset: UInt32
        /// The stored blob's length.
        package var length: UInt32
        /// The plaintext length.
        package var rawLength: UInt32

        /// Creates a blob record.
        package init(id: Digest256, type: BlobType, offset: UInt32, length: UInt32, rawLength: UInt32) {
            self.id = id
            self.type = type
            self.offset = offset
            self.length = length
            self.rawLength = rawLength
        }
    }

    /// Index files this one replaces.
    package var supersedes: [IndexFileID]
    /// The packs it describes.
    package var packs: [Pack]

    /// Creates an index file.
    package init(supersedes: [IndexFileID] = [], packs: [Pack] = []) {
        self.supersedes = supersedes
        self.packs = packs
    }

    static let magic = "VIX1"
    static let blobRecordSize = 45
    static let packRecordMinimumSize = 44

    /// The plaintext of the index file.
    package func encoded() -> [UInt8] {
        let blobCount = packs.reduce(0) { $0 + $1.blobs.count }
        var writer = BinaryWriter(
            reservingCapacity: 12 + supersedes.count * 32 + packs.count * Self.packRecordMinimumSize + blobCount * Self.blobRecordSize
        )
        writer.append(bytes: Self.magic.utf8)
        writer.append(UInt32(supersedes.count))
        for id in supersedes {
            writer.append(id.digest)
        }
        writer.append(UInt32(packs.count))
        for pack in packs {
            writer.append(pack.id.digest)
            writer.append(UInt64(pack.size))
            writer.append(UInt32(pack.blobs.count))
            for blob in pack.blobs {
                writer.append(blob.type.rawValue)
                writer.append(blob.offset)
                writer.append(blob.length)
                writer.append(blob.rawLength)
                writer.append(blob.id)
            }
        }
        return writer.bytes
    }

    /// Decodes the plaintext of an index file.
    ///
    /// - Parameter what: Names the file for error messages.
    /// - Throws: ``RepositoryError`` with code `.damaged`.
    package init(decoding bytes: [UInt8], what: String) throws(RepositoryError) {
        var reader = BinaryReader(bytes, context: what)
        try reader.expectMagic(Self.magic)
        let supersededCount = Int(try reader.read(UInt32.self))
        try reader.checkCount(supersededCount, minimumSize: Digest256.byteCount)
        var supersedes: [IndexFileID] = []
        supersedes.reserveCapacity(supersededCount)
        for _ in 0..<supersededCount {
            supersedes.append(IndexFileID(try reader.readDigest()))
        }
        let packCount = Int(try reader.read(UInt32.self))
        try reader.checkCount(packCount, minimumSize: Self.packRecordMinimumSize)
        var packs: [Pack] = []
        packs.reserveCapacity(packCount)
        for _ in 0..<packCount {
            let id = PackID(try reader.readDigest())
            let size = try reader.read(UInt64.self)
            guard size <= UInt64(Int64.max) else { throw RepositoryError.damaged(what, "pack \(id.shortHex) has an impossible size") }
            let blobCount = Int(try reader.read(UInt32.self))
            try reader.checkCount(blobCount, minimumSize: Self.blobRecordSize)
            var blobs: [Blob] = []
            blobs.reserveCapacity(blobCount)
            for _ in 0..<blobCount {
                let typeByte = try reader.read(UInt8.self)
                guard let type = BlobType(rawValue: typeByte) else {
                    throw RepositoryError.damaged(what, "unknown blob type \(typeByte)")
                }
                let offset = try reader.read(UInt32.self)
                let length = try reader.read(UInt32.self)
                let rawLength = try reader.read(UInt32.self)
                let blobID = try reader.readDigest()
                guard UInt64(offset) + UInt64(length) <= size else {
                    throw RepositoryError.damaged(what, "blob \(blobID.shortHex) lies outside pack \(id.shortHex)")
                }
                blobs.append(Blob(id: blobID, type: type, offset: offset, length: length, rawLength: rawLength))
            }
            packs.append(Pack(id: id, size: Int64(size), blobs: blobs))
        }
        try reader.expectEnd()
        self.supersedes = supersedes
        self.packs = packs
    }
}
