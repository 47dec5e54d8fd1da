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
///
/// Each pack is built in one buffer that is reserved once, when its first
/// blob arrives, at ``reservedCapacity`` bytes, and never grown by doubling:
/// before a blob is appended the writer makes sure the buffer also has room
/// for the sealed header and trailer that ``finish()`` appends, so the pack
/// is written without a copy of its bytes as long as it fits the
/// reservation. A pack that outgrows it (a blob larger than the one the
/// reservation allowed for, or more header entries) grows to what it needs
/// plus a quarter of its capacity, so the buffer's capacity stays within
/// max(``reservedCapacity``, 1.25 × the finished pack's size).
package struct PackWriter: Sendable {
    /// The cipher that seals the header.
    let cipher: ObjectCipher
    /// The capacity each pack's buffer is reserved at when its first blob arrives.
    package let reservedCapacity: Int
    private var bytes: [UInt8] = []
    private var entries: [PackHeaderEntry] = []

    /// Creates an empty pack writer.
    ///
    /// - Parameter capacity: Bytes to reserve for each pack, once, when its
    ///   first blob arrives: best ``reservation(packSize:largestBlob:cipher:)``,
    ///   the pack size target plus room for one blob and the header.
    package init(cipher: ObjectCipher, reservingCapacity capacity: Int = 0) {
        self.cipher = cipher
        self.reservedCapacity = max(0, capacity)
    }

    /// The bytes of stored blobs so far.
    package var size: Int { bytes.count }
    /// Whether no blob has been added.
    package var isEmpty: Bool { entries.isEmpty }
    /// The number of blobs added.
    package var count: Int { entries.count }
    /// The capacity of the open pack's buffer (0 before its first blob).
    package var capacity: Int { bytes.capacity }

    /// Header entries the reservation leaves room for, per byte of pack size:
    /// one header byte for every 32 pack bytes (12,787 entries in a 16 MiB pack).
    static let headerAllowanceDivisor = 32

    /// The buffer to reserve for each pack: the pack size target, one more
    /// blob of at most `largestBlob` stored bytes (the blob that carries
    /// the pack past its target), and its sealed header and trailer at up
    /// to `packSize / 32` header bytes.
    ///
    /// - Parameters:
    ///   - packSize: The pack size target: a pack is finished once its blobs reach it.
    ///   - largestBlob: The largest stored blob expected (for data blobs:
    ///     the maximum chunk size, the codec byte and the sealing overhead).
    ///   - cipher: The cipher that seals the header.
    package static func reservation(packSize: Int, largestBlob: Int, cipher: ObjectCipher) -> Int {
        let entries = packSize / headerAllowanceDivisor / PackHeader.entrySize
        return packSize + largestBlob + sealedHeaderAndTrailerSize(entries: entries, cipher: cipher)
    }

    /// The bytes ``finish()`` appends for a header of `entries` entries.
    static func sealedHeaderAndTrailerSize(entries: Int, cipher: ObjectCipher) -> Int {
        PackHeader.encodedSize(entries: entries) + cipher.overhead + PackHeader.trailerSize
    }

    /// Makes room for one more blob of up to `length` stored bytes and the
    /// header and trailer ``finish()`` then appends, without doubling.
    private mutating func makeRoom(forBlobOf length: Int) {
        makeRoom(bytes.count + length + Self.sealedHeaderAndTrailerSize(entries: entries.count + 1, cipher: cipher))
    }

    /// Makes the buffer's capacity at least `needed` bytes, without doubling.
    private mutating func makeRoom(_ needed: Int) {
        guard needed > bytes.capacity else { return }
        // `reserveCapacity` allocates what it is asked for (not a doubling),
        // and keeps the bytes appended so far.
        let grown = bytes.isEmpty ? 0 : bytes.capacity + bytes.capacity / 4
        bytes.reserveCapacity(max(needed, reservedCapacity, grown))
    }

    /// Appends a blob that `encode` writes into the pack's buffer.
    ///
    /// - Parameters:
    ///   - type: Data or tree.
    ///   - id: The blob's ID.
    ///   - rawLength: The plaintext length.
    ///   - maximumLength: The most bytes `encode` appends, if known: room
    ///     for them is made first, so the buffer does not grow while
    ///     `encode` appends.
    ///   - encode: Appends the stored blob to the buffer it is given.
    package mutating func add(
        type: BlobType, id: Digest256, rawLength: Int, maximumLength: Int? = nil, encode: (inout [UInt8]) -> Void
    ) {
        makeRoom(forBlobOf: maximumLength ?? 0)
        let start = bytes.count
        encode(&bytes)
        entries.append(PackHeaderEntry(type: type, length: UInt32(bytes.count - start), rawLength: UInt32(rawLength), id: id))
    }

    /// Appends an already stored blob.
    package mutating func add(type: BlobType, id: Digest256, rawLength: Int, stored: UnsafeRawBufferPointer) {
        add(type: type, id: id, rawLength: rawLength, maximumLength: stored.count) { $0.append(contentsOf: stored) }
    }

    /// Writes the header and trailer and returns the pack; the writer is
    /// empty afterwards, and reserves a new buffer at the next blob.
    package mutating func finish() -> FinishedPack {
        precondition(!entries.isEmpty, "a pack holds at least one blob")
        let header = PackHeader(entries: entries)
        let sealedHeader = cipher.seal(header.encoded())
        makeRoom(bytes.count + sealedHeader.count + PackHeader.trailerSize)
        bytes.append(contentsOf: sealedHeader)
        withUnsafeBytes(of: UInt32(sealedHeader.count).littleEndian) { bytes.append(contentsOf: $0) }
        let id = PackID(SHA256Hasher.hash(bytes))
        let pack = FinishedPack(id: id, bytes: bytes, blobs: header.locations(pack: id))
        bytes = []
        entries = []
        return pack
    }
}
