import Synchronization
import VaultStorage

/// A ``Storage`` in memory, for tests: keeps every promise of the protocol
/// (it passes the conformance suite) with capabilities chosen by the test.
package final class MemoryStorage: Storage {
    private struct Object {
        var bytes: [UInt8]
        var time: StorageTime
    }

    private let objects = Mutex<[ObjectName: Object]>([:])
    package let location: String
    package let capabilities: StorageCapabilities

    /// Creates an empty storage.
    ///
    /// - Parameters:
    ///   - location: How messages name it.
    ///   - capabilities: What it claims; with `putRefusesToReplace: false`
    ///     a put of an existing content-addressed object replaces it, as an
    ///     object store would.
    package init(
        location: String = "memory",
        capabilities: StorageCapabilities = StorageCapabilities(preferredConcurrency: 8, putRefusesToReplace: true, listingIsImmediatelyConsistent: true)
    ) {
        self.location = location
        self.capabilities = capabilities
    }

    package func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        let refuses = capabilities.putRefusesToReplace || name == .config
        let stored = objects.withLock { objects in
            if refuses, objects[name] != nil { return false }
            objects[name] = Object(bytes: bytes, time: .now)
            return true
        }
        guard stored else {
            throw StorageError(.alreadyExists, name: name, message: "cannot store \(name): an object of that name already exists in \(location)")
        }
    }

    package func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        try object(name, "cannot read").bytes
    }

    package func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        let bytes = try object(name, "cannot read").bytes
        guard range.lowerBound >= 0, range.upperBound <= Int64(bytes.count) else {
            throw StorageError(.invalidRange, name: name, message: "cannot read bytes \(range) of \(name): it has \(bytes.count) bytes")
        }
        return Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    package func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        let object = try object(name, "cannot examine")
        return ObjectInfo(name: name, size: Int64(object.bytes.count), modificationTime: object.time)
    }

    package func list(_ kind: ObjectKind) -> ObjectListing {
        let infos = objects.withLock { objects in
            objects.filter { $0.key.kind == kind }.map { ObjectInfo(name: $0.key, size: Int64($0.value.bytes.count), modificationTime: $0.value.time) }
        }
        return ObjectListing(infos)
    }

    package func delete(_ name: ObjectName) async throws(StorageError) {
        let removed = objects.withLock { $0.removeValue(forKey: name) }
        guard removed != nil else { throw missing(name, "cannot delete") }
    }

    /// Replaces an object's bytes behind the protocol's back (to damage it).
    package func overwrite(_ name: ObjectName, with bytes: [UInt8]) {
        objects.withLock { $0[name] = Object(bytes: bytes, time: .now) }
    }

    private func object(_ name: ObjectName, _ action: String) throws(StorageError) -> Object {
        guard let object = objects.withLock({ $0[name] }) else { throw missing(name, action) }
        return object
    }

    private func missing(_ name: ObjectName, _ action: String) -> StorageError {
        StorageError(.notFound, name: name, message: "\(action) \(name): no such object in \(location)")
    }
}
