import VaultCodecs

/// One blob as a pack header lists it.
package struct PackHeaderEntry: Sendable, Hashable {
    /// Data or tree.
    package var type: BlobType
    /// Length of the stored blob in the pack.
    package var length: UInt32
    /// Length of the blob's plaintext.
    package var rawLength: UInt32
    /// The blob's ID.
    package var id: Digest256

    /// Creates a header entry.
    package init(type: BlobType, length: UInt32, rawLength: UInt32, id: Digest256) {
        self.type = type
        self.length = length
        self.rawLength = rawLength
        self.id = id
    }
}

/// The header at the end of a pack file (docs/format.md, "Pack files").
package struct PackHeader: Sendable, Equatable {
    /// The blobs, in pack order.
    package var entries: [PackHeaderEntry]

    static let magic = "VPK1"
    static let entrySize = 41
    /// The trailer after the sealed header: its length as a `u32`.
    package static let trailerSize = 4

    /// Creates a header listing `entries`.
    package init(entries: [PackHeaderEntry]) {
        self.entries = entries
    }

    /// The length of the plaintext header of `entries` entries.
    static func encodedSize(entries: Int) -> Int {
        8 + entries * entrySize
    }

    /// The plaintext header.
    package func encoded() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: Self.encodedSize(entries: entries.count))
        writer.append(bytes: Self.magic.utf8)
        writer.append(UInt32(entries.count))
        for entry in entries {
            writer.append(entry.type.rawValue)
            writer.append(entry.length)
            writer.append(entry.rawLength)
            writer.append(entry.id)
        }
        return writer.bytes
    }

    /// Decodes a plaintext header.
    package init(decoding bytes: [UInt8], pack: PackID) throws(RepositoryError) {
        var reader = BinaryReader(bytes, context: "header of pack \(pack.shortHex)")
        try reader.expectMagic(Self.magic)
        let count = Int(try reader.read(UInt32.self))
        try reader.checkCount(count, minimumSize: Self.entrySize)
        var entries: [PackHeaderEntry] = []
        entries.reserveCapacity(count)
        var offset: UInt64 = 0
        for _ in 0..<count {
            // Every blob must start at an offset a u32 holds (index records and locations are u32).
            guard offset <= UInt64(UInt32.max) else {
                throw RepositoryError.damaged("header of pack \(pack.shortHex)", "its blobs run past 4 GiB")
            }
            let typeByte = try reader.read(UInt8.self)
            guard let type = BlobType(rawValue: typeByte) else {
                throw RepositoryError.damaged("header of pack \(pack.shortHex)", "unknown blob type \(typeByte)")
            }
            let length = try reader.read(UInt32.self)
            let rawLength = try reader.read(UInt32.self)
            let id = try reader.readDigest()
            entries.append(PackHeaderEntry(type: type, length: length, rawLength: rawLength, id: id))
            offset += UInt64(length)
        }
        try reader.expectEnd()
        guard !entries.isEmpty else {
            throw RepositoryError.damaged("header of pack \(pack.shortHex)", "lists no blobs")
        }
        self.entries = entries
    }

    /// The blobs with their offsets, as index records.
    package func locations(pack: PackID) -> [(key: BlobKey, location: BlobLocation)] {
        var offset: UInt32 = 0
        return entries.map { entry in
            defer { offset &+= entry.length }
            return (BlobKey(entry.type, entry.id), BlobLocation(pack: pack, type: entry.type, offset: offset, length: entry.length, rawLength: entry.rawLength))
        }
    }

    /// The total length of the stored blobs.
    package var blobBytes: Int64 {
        entries.reduce(0) { $0 + Int64($1.length) }
    }
}
