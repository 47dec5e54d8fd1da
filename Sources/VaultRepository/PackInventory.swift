import VaultCodecs
import VaultStorage

/// The packs the storage holds, compared with the packs the index names,
/// from one listing of `data/`.
///
/// Backup takes one inventory before it starts: it never deduplicates
/// against a blob whose pack is gone (``missing``), and it reuses the
/// blobs of packs an interrupted backup left unindexed (``orphans``).
/// `vault repair index` starts from one as well.
package struct PackInventory: Sendable {
    /// Every stored pack and its size, by pack ID.
    package var stored: [PackID: Int64]
    /// Packs the index names that the storage does not hold.
    package var missing: Set<PackID>
    /// Stored packs that no index file names, sorted by ID.
    package var orphans: [(id: PackID, size: Int64)]

    /// Compares a listing of `data/` with the packs an index names.
    ///
    /// - Parameters:
    ///   - listing: The objects in `data/`; entries whose name is not a
    ///     pack ID are ignored.
    ///   - indexed: The packs the index names.
    package init(listing: [ObjectInfo], indexed: some Sequence<PackID>) {
        var stored: [PackID: Int64] = [:]
        for info in listing where info.name.kind == .data {
            if let id = PackID(hex: info.name.name) {
                stored[id] = info.size
            }
        }
        let indexedSet = Set(indexed)
        self.stored = stored
        missing = indexedSet.filter { stored[$0] == nil }
        orphans = stored.filter { !indexedSet.contains($0.key) }.map { (id: $0.key, size: $0.value) }.sorted { $0.id < $1.id }
    }
}

extension Repository {
    /// Lists `data/` once and compares it with the packs the index names.
    ///
    /// - Parameter indexed: The packs the index names.
    /// - Throws: ``RepositoryError`` when `data/` cannot be listed.
    package func packInventory(indexed: some Sequence<PackID>) async throws(RepositoryError) -> PackInventory {
        PackInventory(listing: try await list(.data), indexed: indexed)
    }

    /// The index record of a stored pack, read from its header.
    ///
    /// - Parameters:
    ///   - id: The pack's ID.
    ///   - size: The pack file's size.
    ///   - checkingBlobs: Whether to read the pack whole and check it: its
    ///     SHA-256 must be its name, and every blob must open, decompress
    ///     and hash to the ID its header gives. Without it, only the header
    ///     is read (one range read of the tail).
    /// - Returns: The pack's record, for an index file.
    /// - Throws: ``RepositoryError`` with code `.damaged` when the pack or
    ///   one of its blobs does not check out; `.storage` when it cannot be read.
    package func indexRecord(ofPack id: PackID, size: Int64, checkingBlobs: Bool) async throws(RepositoryError) -> IndexFile.Pack {
        let header = try await loadPackHeader(id, size: size)
        let blobs = header.locations(pack: id).map { key, location in
            IndexFile.Blob(id: key.id, type: key.type, offset: location.offset, length: location.length, rawLength: location.rawLength)
        }
        if checkingBlobs {
            let name = ObjectName(id)
            let bytes = try await Self.storageCall { () async throws(StorageError) in try await storage.get(name) }
            guard SHA256Hasher.hash(bytes) == id.digest else {
                throw RepositoryError.damaged("pack \(id.shortHex)", "its contents do not match its name")
            }
            var decoder = BlobDecoder(cipher: cipher, identifier: identifier)
            for blob in blobs {
                let start = Int(blob.offset)
                let end = start + Int(blob.length)
                // The header accounts for the whole file, so every blob lies inside it.
                guard end <= bytes.count else {
                    throw RepositoryError.damaged("pack \(id.shortHex)", "blob \(blob.id.shortHex) lies past its end")
                }
                _ = try decoder.decode(Array(bytes[start..<end]), id: blob.id, rawLength: Int(blob.rawLength))
            }
        }
        return IndexFile.Pack(id: id, size: size, blobs: blobs)
    }
}

