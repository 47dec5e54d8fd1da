/// An error from a storage backend.
///
/// `code` says what kind of failure it was, so callers can react to the
/// ones they can handle (a missing object, an object that already exists);
/// `message` is one line a user can act on. A backend marks failures that
/// may go away when the call is repeated (a server's 5xx answer, a timeout,
/// a reset connection) as ``isTransient``; ``RetryingStorage`` repeats
/// those calls and no others.
package struct StorageError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    package enum Code: Sendable, Hashable {
        /// The object does not exist.
        case notFound
        /// `put` refused to replace an existing object (or a backend's
        /// `create` refused a location already in use).
        case alreadyExists
        /// The object name is not one a backend may store.
        case invalidName
        /// A byte range lies outside the object.
        case invalidRange
        /// The storage location itself is missing or is not a repository location.
        case locationUnavailable
        /// The backend refused the operation (permissions, credentials).
        case permissionDenied
        /// The backend ran out of space.
        case noSpace
        /// Any other input/output failure; may be temporary.
        case io
    }

    /// What kind of failure this is.
    package var code: Code
    /// The object concerned, when there is one.
    package var name: ObjectName?
    /// One line describing the failure.
    package var message: String
    /// Whether repeating the call may succeed (a server error, a timeout,
    /// a reset connection). Only a backend that knows says so.
    package var isTransient: Bool

    /// Creates a storage error.
    package init(_ code: Code, name: ObjectName?, message: String, isTransient: Bool = false) {
        self.code = code
        self.name = name
        self.message = message
        self.isTransient = isTransient
    }

    package var description: String { message }
}
