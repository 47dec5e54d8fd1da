import VaultPOSIX
import VaultRepository
import VaultStorage
import VaultStorageS3

/// Where a repository is, as the user wrote it: a folder (`PATH` or
/// `local:PATH`) or a bucket (`s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`).
/// The backend is chosen by a ``StorageRegistry`` keyed by the scheme.
package struct RepositoryLocation: Sendable, CustomStringConvertible {
    /// The text the user gave.
    package var text: String
    /// The backends locations are resolved with.
    package var registry: StorageRegistry

    /// Parses a repository location.
    ///
    /// - Parameters:
    ///   - text: The location.
    ///   - registry: The backends; by default the standard ones, with S3
    ///     credentials from this process's environment.
    /// - Throws: ``RepositoryError`` with code `.invalidRequest` for an empty location.
    package init(_ text: String, registry: StorageRegistry = .standard()) throws(RepositoryError) {
        guard !text.isEmpty else {
            throw RepositoryError(.invalidRequest, "the repository location is empty")
        }
        self.text = text
        self.registry = registry
    }

    /// Opens the storage of an existing repository location.
    ///
    /// - Throws: ``RepositoryError`` with code `.notARepository` when the
    ///   location does not exist.
    package func openStorage() throws(RepositoryError) -> any Storage {
        let (backend, address) = registry.resolve(text)
        do {
            return try backend.open(address)
        } catch {
            switch error.code {
            case .locationUnavailable: throw RepositoryError(.notARepository, "there is no repository at \(text)")
            case .invalidName: throw RepositoryError(.invalidRequest, error.message)
            default: throw RepositoryError(error)
            }
        }
    }

    /// Creates storage for a new repository: the location must be missing
    /// or empty (a bucket is created when missing).
    package func createStorage() async throws(RepositoryError) -> any Storage {
        let (backend, address) = registry.resolve(text)
        do {
            return try await backend.create(address)
        } catch {
            throw RepositoryError(.invalidRequest, error.message.hasPrefix("cannot create") ? error.message : "cannot create a repository at \(text): \(error.message)")
        }
    }

    package var description: String { text }
}

extension StorageRegistry {
    /// The backends vault ships: folders (the default, `local:`) and `s3:`.
    ///
    /// - Parameter environment: Where S3 credentials and options come from.
    package static func standard(environment: [String: String] = ProcessEnvironment.current) -> StorageRegistry {
        var registry = StorageRegistry(default: LocalDirectoryBackend())
        registry.register(S3Backend(environment: environment))
        return registry
    }
}

extension RepositoryLocation {
    /// Opens the destination of a mirror: an existing repository, an empty
    /// location, or (with `create`) one that does not exist yet.
    ///
    /// A missing folder is refused without `create`: it is what an
    /// unplugged removable drive looks like, and writing there would fill
    /// the mount point on the internal disk. A location holding anything
    /// but a repository's objects is refused too; the backend decides what
    /// it holds.
    ///
    /// - Throws: ``OperationError`` with code `.targetFailed`, or
    ///   ``RepositoryError``.
    package func openMirrorDestination(create: Bool) async throws -> any Storage {
        let (backend, address) = registry.resolve(text)
        let contents: LocationContents
        do {
            contents = try await backend.inspect(address)
        } catch {
            throw RepositoryError(error)
        }
        switch contents {
        case .missing:
            guard create else {
                throw OperationError(.targetFailed, "\(text) does not exist (is the drive mounted?); pass --create to create it")
            }
        case .empty:
            break
        case .foreign(let what):
            throw OperationError(.targetFailed, "\(text): \(what): refusing to mirror into it")
        case .repository:
            return try backend.open(address)
        }
        return try await backend.create(address)
    }

    /// Opens the location when it holds a repository's objects and nothing
    /// else, as ``openMirrorDestination(create:)`` would, but writes
    /// nothing: `nil` when it is missing, empty or foreign, or cannot be
    /// examined.
    package func openExistingMirrorDestination() async -> (any Storage)? {
        let (backend, address) = registry.resolve(text)
        guard case .repository? = try? await backend.inspect(address) else { return nil }
        return try? backend.open(address)
    }
}
