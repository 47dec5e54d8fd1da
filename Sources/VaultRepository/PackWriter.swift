import VaultCodecs

/// A finished pack file, ready to store.
package struct FinishedPack: Sendable {
    /// The pack's ID: the SHA-256 of ``bytes``.
    package var id: PackID
    /// The whole pack file.
    package var bytes: [UInt8]
    /// The blobs it holds, with their locations.
    package var blobs: [(key: BlobKey, location: BlobLocation)]
}

/// A pack that has been stored: what the index needs to know of it.
package struct StoredPack: Sendable {
    /// The pack's ID.
    package var id: PackID
    /// The pack file's size.
    package var size: Int64
    /// The blobs it holds, with their locations.
    package var blobs: [(key: BlobKey, location: BlobLocation)]

    /// Describes a finished pack, without its bytes.
    package init(_ pack: FinishedPack) {
        id = pack.id
        size = Int64(pack.bytes.count)
        blobs = pack.blobs
    }
}

/// Assembles stored blobs into a pack file (docs/format.md, "Pack files").
package struct PackWriter: Sendable {
    private let cipher: ObjectCipher
    private var bytes: [UInt8] = []
    private var entries: [PackHeaderEntry] = []

    /// Creates an empty pack writer.
    ///
    /// - Parameter capacity: Bytes to reserve; the pack size target plus room for one blob.
    package init(cipher: ObjectCipher, reservingCapacity capacity: Int = 0) {
        self.cipher = cipher
        bytes.reserveCapacity(capacity)
    }

    /// The bytes of stored blobs so far.
    package var size: Int { bytes.count }
    /// Whether no blob has been added.
    package var isEmpty: Bool { entries.isEmpty }
    /// The number of blobs added.
    package var count: Int { entries.count }

    /// Appends a blob that `encode` writes into the pack's buffer.
    ///
    /// - Parameters:
    ///   - type: Data or tree.
    ///   - id: The blob's ID.
    ///   - rawLength: The plaintext length.
    ///   - encode: Appends the stored blob to the buffer it is given.
    package mutating func add(type: BlobType, id: Digest256, rawLength: Int, encode: (inout [UInt8]) -> Void) {
        let start = bytes.count
        encode(&bytes)
        entries.append(PackHeaderEntry(type: type, length: UInt32(bytes.count - start), rawLength: UInt32(rawLength), id: id))
    }

    /// Appends an already stored blob.
    package mutating func add(type: BlobType, id: Digest256, rawLength: Int, stored: UnsafeRawBufferPointer) {
        add(type: type, id: id, rawLength: rawLength) { $0.append(contentsOf: stored) }
    }

    /// Writes the header and trailer and returns the pack; the writer is empty afterwards.
    package mutating func finish() -> FinishedPack {
        precondition(!entries.isEmpty, "a pack holds at least one blob")
        let header = PackHeader(entries: entries)
        let sealedHeader = cipher.seal(header.encoded())
        bytes.append(contentsOf: sealedHeader)
        withUnsafeBytes(of: UInt32(sealedHeader.count).littleEndian) { bytes.append(contentsOf: $0) }
        let id = PackID(SHA256Hasher.hash(bytes))
        let pack = FinishedPack(id: id, bytes: bytes, blobs: header.locations(pack: id))
        bytes = []
        entries = []
        return pack
    }
}
