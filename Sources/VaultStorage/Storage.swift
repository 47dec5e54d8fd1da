/// A backend that stores a repository's objects: a local directory, an
/// S3 bucket.
///
/// A backend knows nothing of what the objects mean. It offers a flat
/// namespace of ``ObjectName``s, and promises:
/// - `put` is atomic: readers see the whole object or none of it, never a
///   partial one, even across a crash; and it never replaces an existing
///   object (``StorageError/Code/alreadyExists``).
/// - Once `put` returns, the object is durable.
/// - Reading a missing object throws ``StorageError/Code/notFound``.
///
/// Every backend passes the same conformance suite (`StorageConformance`
/// in the tests).
package protocol Storage: Sendable {
    /// A short description of where the objects live, for messages.
    var location: String { get }

    /// Stores a new object.
    ///
    /// - Parameters:
    ///   - bytes: The object's contents.
    ///   - name: The object's name.
    /// - Throws: ``StorageError``; `.alreadyExists` if an object of that name exists.
    func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError)

    /// Reads a whole object.
    ///
    /// - Throws: ``StorageError``; `.notFound` if there is no such object.
    func get(_ name: ObjectName) async throws(StorageError) -> [UInt8]

    /// Reads `range` of an object.
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
    /// The sequence streams: a backend holding millions of objects does not
    /// collect them first.
    func list(_ kind: ObjectKind) -> AsyncThrowingStream<ObjectInfo, any Error>

    /// Removes an object.
    ///
    /// - Throws: ``StorageError``; `.notFound` if there is no such object.
    func delete(_ name: ObjectName) async throws(StorageError)
}

extension Storage {
    /// Collects the whole listing of one kind.
    package func listAll(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        for try await info in list(kind) {
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
