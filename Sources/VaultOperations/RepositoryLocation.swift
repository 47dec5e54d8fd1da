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
