import VaultPOSIX
import VaultRepository
import VaultStorage

/// Where a repository is, as the user wrote it: a local directory path
/// (later also `s3:…` URLs).
package struct RepositoryLocation: Sendable, Hashable, CustomStringConvertible {
    /// The text the user gave.
    package var text: String

    /// Parses a repository location.
    ///
    /// - Throws: ``RepositoryError`` with code `.invalidRequest` for an empty location.
    package init(_ text: String) throws(RepositoryError) {
        guard !text.isEmpty else {
            throw RepositoryError(.invalidRequest, "the repository location is empty")
        }
        self.text = text
    }

    /// Opens the storage of an existing repository location.
    ///
    /// - Throws: ``RepositoryError`` with code `.notARepository` when the
    ///   location does not exist.
    package func openStorage() throws(RepositoryError) -> any Storage {
        do {
            return try LocalDirectoryStorage(at: text)
        } catch {
            switch error.code {
            case .locationUnavailable: throw RepositoryError(.notARepository, "there is no repository at \(text)")
            default: throw RepositoryError(error)
            }
        }
    }

    /// Creates storage for a new repository: the folder must not exist or be empty.
    package func createStorage() throws(RepositoryError) -> any Storage {
        do {
            return try LocalDirectoryStorage.create(at: text)
        } catch {
            throw RepositoryError(.invalidRequest, "cannot create a repository at \(text): \(error.message)")
        }
    }

    package var description: String { text }
}

extension RepositoryLocation {
    /// The names a repository folder may hold at its top level.
    static let repositoryEntries: Set<[UInt8]> = Set((["config"] + ObjectKind.allCases.map(\.rawValue)).map { Array($0.utf8) })

    private static func statusIfExists(_ path: FilePath) throws(SystemError) -> FileStatus? {
        do {
            return try FileSystem.status(of: path)
        } catch where error.code == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// Opens the destination of a mirror: an existing repository folder, an
    /// empty folder, or (with `create`) a folder that does not exist yet.
    ///
    /// A missing folder is refused without `create`: it is what an
    /// unplugged removable drive looks like, and writing there would fill
    /// the mount point on the internal disk. A folder holding anything but
    /// a repository's entries is refused too.
    ///
    /// - Throws: ``OperationError`` with code `.targetFailed`.
    package func openMirrorDestination(create: Bool) throws -> any Storage {
        let path = FilePath(text)
        guard let status = try Self.statusIfExists(path) else {
            guard create else {
                throw OperationError(.targetFailed, "\(text) does not exist (is the drive mounted?); pass --create to create it")
            }
            return try LocalDirectoryStorage.create(at: text)
        }
        guard status.type == .directory else {
            throw OperationError(.targetFailed, "\(text) is not a folder")
        }
        var entries: [[UInt8]] = []
        let directory = try DirectoryStream.open(path)
        defer { try? directory.close() }
        while let entry = try directory.next() {
            entries.append(entry.name)
        }
        if entries.isEmpty {
            return try LocalDirectoryStorage.create(at: text)
        }
        let strangers = entries.filter { !Self.repositoryEntries.contains($0) && !$0.starts(with: Array(".tmp-".utf8)) }
        guard strangers.isEmpty else {
            let names = strangers.prefix(3).map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
            throw OperationError(.targetFailed, "\(text) holds files that are not a vault repository (\(names)): refusing to mirror into it")
        }
        return try LocalDirectoryStorage(at: text)
    }
}
