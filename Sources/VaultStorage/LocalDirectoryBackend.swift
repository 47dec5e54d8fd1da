import VaultPOSIX

/// The `local:` backend: a repository in a folder (``LocalDirectoryStorage``).
package struct LocalDirectoryBackend: StorageBackend {
    package var scheme: String { "local" }

    package init() {}

    package func open(_ address: String) throws(StorageError) -> any Storage {
        try LocalDirectoryStorage(at: address)
    }

    package func create(_ address: String) async throws(StorageError) -> any Storage {
        try LocalDirectoryStorage.create(at: address)
    }

    /// A missing folder is `.missing`; a folder holding only the entries
    /// of a repository (and temporary files) is `.repository`.
    package func inspect(_ address: String) async throws(StorageError) -> LocationContents {
        let path = FilePath(address)
        let action = "cannot examine '\(address)'"
        let status: FileStatus
        do {
            status = try FileSystem.status(of: path)
        } catch where error.code == .noSuchFileOrDirectory {
            return .missing
        } catch {
            throw StorageError(error, action, nil)
        }
        guard status.type == .directory else {
            return .foreign("it is not a folder")
        }
        var entries: [[UInt8]] = []
        do throws(SystemError) {
            let directory = try DirectoryStream.open(path)
            defer { try? directory.close() }
            while let entry = try directory.next() {
                entries.append(entry.name)
            }
        } catch {
            throw StorageError(error, action, nil)
        }
        if entries.isEmpty {
            return .empty
        }
        let strangers = entries.filter { !Self.repositoryEntries.contains($0) && !LocalDirectoryLayout.isTemporary($0) }
        guard strangers.isEmpty else {
            let names = strangers.prefix(3).map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
            return .foreign("it holds files that are not a vault repository (\(names))")
        }
        return .repository
    }

    /// The names a repository folder may hold at its top level.
    static let repositoryEntries: Set<[UInt8]> = Set((["config"] + ObjectKind.allCases.map(\.rawValue)).map { Array($0.utf8) })
}
