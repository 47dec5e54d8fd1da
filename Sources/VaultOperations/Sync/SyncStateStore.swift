import VaultCodecs
import VaultPOSIX

/// Where a host keeps its ``SyncState`` files: one per repository
/// location, set, host and folder, in `$XDG_CACHE_HOME/vault/sync`
/// (`~/.cache/vault/sync` without it).
///
/// Reading never fails: a missing, unreadable, oversized or damaged file
/// is no state. Writing replaces the file atomically (a temporary file,
/// then `rename`), so a crash leaves the old file, the new one, or a
/// temporary file that is never read; none of them is ever taken for
/// more than it says (a file that does not decode is ignored).
package struct SyncStateStore: Sendable {
    /// The folder holding the state files.
    package var directory: [UInt8]

    /// A store in `directory` (an absolute path).
    package init(directory: [UInt8]) {
        self.directory = directory
    }

    /// The standard store for this process's environment, or `nil` when
    /// neither `XDG_CACHE_HOME` nor `HOME` names an absolute folder.
    package static func standard(environment: [String: String] = ProcessEnvironment.current) -> SyncStateStore? {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return SyncStateStore(directory: Array((cache + "/vault/sync").utf8))
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return SyncStateStore(directory: Array((home + "/.cache/vault/sync").utf8))
        }
        return nil
    }

    /// The state file's name for an identity: the SHA-256 of the parts
    /// that do not change while the same folder syncs the same set.
    func fileName(for identity: SyncStateIdentity) -> [UInt8] {
        var key: [UInt8] = []
        for part in [Array(identity.location.utf8), Array(identity.set.utf8), Array(identity.host.utf8), identity.folder] {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: part.count).littleEndian) { key.append(contentsOf: $0) }
            key += part
        }
        return Array(SHA256Hasher.hash(key).hex.utf8)
    }

    /// The state file's path.
    package func path(for identity: SyncStateIdentity) -> FilePath {
        FilePath(bytes: directory + [UInt8(ascii: "/")] + fileName(for: identity))
    }

    /// The state recorded for `identity`, if a valid one is there.
    package func read(_ identity: SyncStateIdentity) -> SyncState? {
        // Without blocking: a FIFO put in its place must not hang the sync.
        let options: FileDescriptor.OpenOptions = [.noFollow, .nonBlocking]
        guard let file = try? FileDescriptor.open(path(for: identity), .readOnly, options: options) else { return nil }
        defer { try? file.close() }
        guard let status = try? file.status(), status.type == .regular, status.size > 0, status.size <= Int64(SyncState.maximumSize),
              let bytes = try? file.read(fromAbsoluteOffset: 0, count: Int(status.size)), bytes.count == Int(status.size),
              let state = SyncState(decoding: bytes), state.identity == identity else { return nil }
        return state
    }

    /// Records `state`, replacing any earlier one; failures are ignored
    /// (the next sync then runs in full).
    package func write(_ state: SyncState) {
        try? writeOrThrow(state)
    }

    /// Records `state`.
    ///
    /// - Throws: ``SystemError`` when the folder cannot be made or the file written.
    func writeOrThrow(_ state: SyncState) throws(SystemError) {
        try makeDirectories()
        let name = fileName(for: state.identity)
        let directoryPath = FilePath(bytes: directory)
        let folder = try FileDescriptor.open(directoryPath, .readOnly, options: [.directory])
        defer { try? folder.close() }
        // One temporary name per state file: a killed writer's leftover is replaced by the next write.
        let temporary = FilePath(bytes: Array(".".utf8) + name + Array(".tmp".utf8))
        let file = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate, .noFollow], permissions: 0o600, relativeTo: folder)
        do throws(SystemError) {
            try file.writeAll(state.encoded())
            try file.close()
        } catch {
            try? file.close()
            try? FileSystem.removeFile(temporary, relativeTo: folder)
            throw error
        }
        try FileSystem.rename(temporary, relativeTo: folder, to: FilePath(bytes: name), relativeTo: folder)
    }

    /// Removes the state for `identity`, if any.
    package func remove(_ identity: SyncStateIdentity) {
        try? FileSystem.removeFile(path(for: identity))
    }

    /// Makes the store's folder and the ones above it (mode 700).
    private func makeDirectories() throws(SystemError) {
        var prefix: [UInt8] = []
        for component in directory.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            prefix += [UInt8(ascii: "/")] + component
            do {
                try FileSystem.makeDirectory(FilePath(bytes: prefix), permissions: 0o700)
            } catch where error.code == .fileExists {
                continue
            }
        }
    }
}
