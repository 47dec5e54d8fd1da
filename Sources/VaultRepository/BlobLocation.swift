import VaultCodecs

/// Where a blob is stored: a byte range inside one pack file.
package struct BlobLocation: Sendable, Hashable {
    /// The ID of the pack file that holds the blob.
    package var pack: PackID
    /// Whether the blob holds file content or a tree.
    package var type: BlobType
    /// The byte offset of the stored blob inside the pack.
    package var offset: UInt32
    /// The number of bytes the blob occupies in the pack (after compression
    /// and encryption).
    package var length: UInt32
    /// The number of plaintext bytes the blob decodes to.
    package var rawLength: UInt32

    /// Creates a blob location.
    ///
    /// - Parameters:
    ///   - pack: The ID of the pack file that holds the blob.
    ///   - type: Whether the blob holds file content or a tree.
    ///   - offset: The byte offset of the stored blob inside the pack.
    ///   - length: The number of bytes the blob occupies in the pack.
    ///   - rawLength: The number of plaintext bytes the blob decodes to.
    package init(pack: PackID, type: BlobType, offset: UInt32, length: UInt32, rawLength: UInt32) {
        self.pack = pack
        self.type = type
        self.offset = offset
        self.length = length
        self.rawLength = rawLength
    }
}
