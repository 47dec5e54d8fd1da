import VaultStorage

/// An error from opening or using a repository.
///
/// `code` tells callers (and the CLI's exit codes) what kind of failure it
/// was; `message` is one line a user can act on.
package struct RepositoryError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    package enum Code: Sendable, Hashable {
        /// There is no repository at the location.
        case notARepository
        /// The repository was written by a newer format version.
        case unsupportedVersion
        /// No key file opens with the given password.
        case wrongPassword
        /// A password is needed and none was given.
        case passwordRequired
        /// Another process holds a conflicting lock.
        case locked
        /// An object or blob is damaged, forged or missing.
        case damaged
        /// A request that cannot be carried out (bad argument, removing the last key).
        case invalidRequest
        /// The storage backend failed.
        case storage
    }

    /// What kind of failure this is.
    package var code: Code
    /// One line describing the failure.
    package var message: String
    /// The storage failure behind a `.storage` error, with its own code
    /// (`notFound`, `io`, whether it is transient …), as swift-nio's
    /// `FileSystemError` keeps its cause.
    package var cause: StorageError?

    /// Creates a repository error.
    package init(_ code: Code, _ message: String, cause: StorageError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// Wraps a storage failure, keeping its message and the failure itself.
    package init(_ error: StorageError) {
        self.init(.storage, error.message, cause: error)
    }

    /// A damaged-object error naming the object.
    static func damaged(_ name: CustomStringConvertible, _ reason: String) -> RepositoryError {
        RepositoryError(.damaged, "\(name) is damaged: \(reason)")
    }

    package var description: String { message }
}
