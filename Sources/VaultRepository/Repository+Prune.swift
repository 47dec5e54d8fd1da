import VaultCodecs
import VaultStorage

/// What `vault prune` needs of a repository beyond reading and writing
/// whole objects: the index files one by one, ranges of packs, removal.
extension Repository {
    /// The index files, decoded: every one in the storage, and which of
    /// them are in effect (named in no other file's `supersedes`).
    package struct IndexFiles: Sendable {
        /// Every index file in the storage.
        package var all: [IndexFileID]
        /// The files in effect, with their contents, sorted by ID.
        package var inEffect: [(id: IndexFileID, file: IndexFile)]

        /// The pack records of the files in effect, in file order (a pack
        /// recorded in two files appears twice).
        package var packs: [IndexFile.Pack] { inEffect.flatMap(\.file.packs) }
    }

    /// Loads every index file.
    ///
    /// - Throws: ``RepositoryError``: `.damaged` when an index file does not
    ///   match its name or does not decode (prune must not run on an index
    ///   it cannot read), `.storage`.
    package func loadIndexFiles() async throws(RepositoryError) -> IndexFiles {
        var decoded: [(id: IndexFileID, file: IndexFile)] = []
        var superseded: Set<IndexFileID> = []
        var all: [IndexFileID] = []
        for info in try await list(.index) {
            guard let id = IndexFileID(hex: info.name.name) else { continue }
            all.append(id)
            let file = try IndexFile(decoding: try await loadObject(info.name), what: "\(info.name)")
            superseded.formUnion(file.supersedes)
            decoded.append((id, file))
        }
        return IndexFiles(all: all, inEffect: decoded.filter { !superseded.contains($0.id) })
    }

    /// Reads a byte range of a pack as stored, without opening anything.
    package func loadPackRange(_ pack: PackID, _ range: Range<Int64>) async throws(RepositoryError) -> [UInt8] {
        let name = ObjectName(pack)
        let bytes = try await Self.storageCall { () async throws(StorageError) in try await storage.get(name, range: range) }
        guard Int64(bytes.count) == range.count else {
            throw RepositoryError.damaged("pack \(pack.shortHex)", "a read of \(range.count) bytes returned \(bytes.count)")
        }
        return bytes
    }

    /// Removes an object; one that is already gone counts as removed.
    package func removeObject(_ name: ObjectName) async throws(RepositoryError) {
        do {
            try await storage.delete(name)
        } catch where error.code == .notFound {
            // Already gone: a retried or concurrent removal.
        } catch {
            throw RepositoryError(error)
        }
    }
}
