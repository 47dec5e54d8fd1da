/// A backend that stores a repository's objects: a local folder, an S3
/// bucket.
///
/// A backend knows nothing of what the objects mean. It offers a flat
/// namespace of ``ObjectName``s, and promises what an object store can
/// promise:
/// - `put` is atomic: readers see the whole object or none of it, never a
///   partial one, even across a crash. Once it returns, the object is durable.
/// - `put` never replaces ``ObjectName/config``: it throws
///   ``StorageError/Code/alreadyExists``. Every other object is named by the
///   SHA-256 of its bytes, so a `put` of an existing name may either throw
///   `.alreadyExists` or replace the object with identical bytes; whether a
///   backend can refuse every replacement is in ``StorageCapabilities``.
/// - Reading a missing object throws ``StorageError/Code/notFound``.
/// - A ranged `get` returns exactly the bytes of the range or throws.
/// - Deleting a missing object either succeeds or throws `.notFound`
///   (an object store cannot tell); callers accept both.
/// - Every call, listing included, fails with ``StorageError``.
///
/// Every backend passes the same conformance suite (`StorageConformance`
/// in the `VaultStorageTesting` library).
package protocol Storage: Sendable {
    /// A short description of where the objects live, for messages.
    var location: String { get }

    /// What this backend can promise beyond the protocol's minimum.
    var capabilities: StorageCapabilities { get }

    /// Stores an object.
    ///
    /// - Parameters:
    ///   - bytes: The object's contents.
    ///   - name: The object's name.
    /// - Throws: ``StorageError``; `.alreadyExists` if an object of that
    ///   name exists and the backend refuses to replace it (always for
    ///   ``ObjectName/config``).
    func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError)

    /// Reads a whole object.
    ///
    /// - Throws: ``StorageError``; `.notFound` if there is no such object.
    func get(_ name: ObjectName) async throws(StorageError) -> [UInt8]

    /// Reads `range` of an object: exactly `range.count` bytes, or an error.
    ///
    /// - Throws: ``StorageError``; `.notFound`, or `.invalidRange` when the
    ///   range does not lie within the object.
    func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8]

    /// Describes one object.
    ///
    /// - Throws: ``StorageError``; `.notFound` if there is no such object.
    func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo

    /// Lists every object of one kind, in no particular order.
    ///
    /// The sequence streams, a page at a time: a backend holding millions of
    /// objects does not collect them first. Iterating throws ``StorageError``.
    func list(_ kind: ObjectKind) -> ObjectListing

    /// Removes an object.
    ///
    /// - Throws: ``StorageError``; perhaps `.notFound` if there is no such
    ///   object (see the protocol's promises).
    func delete(_ name: ObjectName) async throws(StorageError)

    /// Removes what interrupted `put`s left behind (a local folder's
    /// temporary files) once it is older than `age`, so that a `put`
    /// running in another process keeps its own.
    ///
    /// A backend whose `put` leaves nothing behind (an object store) has
    /// nothing to remove: the default does nothing.
    ///
    /// - Returns: How many leftovers were removed.
    func removeStaleTemporaryFiles(olderThan age: Duration) async throws(StorageError) -> Int
}

extension Storage {
    /// Nothing to remove: `put` leaves nothing behind.
    package func removeStaleTemporaryFiles(olderThan age: Duration) async throws(StorageError) -> Int {
        0
    }

    /// Collects the whole listing of one kind.
    package func listAll(_ kind: ObjectKind) async throws(StorageError) -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        var pages = list(kind).makeAsyncIterator()
        while let info = try await pages.next() {
            result.append(info)
        }
        return result
    }

    /// Whether an object exists.
    package func exists(_ name: ObjectName) async throws(StorageError) -> Bool {
        do {
            _ = try await stat(name)
            return true
        } catch where error.code == .notFound {
            return false
        }
    }
}
