/// One kind of storage location (a local folder, an S3 bucket): how to open
/// one, look at it, and prepare it for a new repository.
///
/// A ``StorageRegistry`` maps a location's scheme (`local:`, `s3:`) to its
/// backend; the backend gets the rest of the location text, its address.
package protocol StorageBackend: Sendable {
    /// The scheme naming this backend in locations, without the colon.
    var scheme: String { get }

    /// Opens the storage at an existing location. Needs no network: a
    /// backend that cannot check the location cheaply lets the first call
    /// find out.
    ///
    /// - Throws: ``StorageError``; `.locationUnavailable` when the location
    ///   does not exist, `.invalidName` when the address is malformed.
    func open(_ address: String) throws(StorageError) -> any Storage

    /// Looks at what a location holds, before a repository is created or
    /// mirrored there.
    func inspect(_ address: String) async throws(StorageError) -> LocationContents

    /// Prepares a missing or empty location for a new repository (a folder
    /// and its subfolders, a bucket) and opens it.
    ///
    /// - Throws: ``StorageError``; `.alreadyExists` when the location holds
    ///   anything, `.locationUnavailable` when it cannot be made (a missing
    ///   parent folder).
    func create(_ address: String) async throws(StorageError) -> any Storage
}

/// What a storage location holds.
package enum LocationContents: Sendable, Hashable {
    /// Nothing is there: no folder, no bucket.
    case missing
    /// The location exists and holds nothing.
    case empty
    /// The location holds only what a repository holds.
    case repository
    /// The location holds something else, described in a few words (a few
    /// of the strange names, "a file").
    case foreign(String)
}
