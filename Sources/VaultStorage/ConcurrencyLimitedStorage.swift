/// A storage that lets at most a fixed number of calls run at once; the
/// others wait their turn, first come first served.
///
/// Bounds what one process asks of a backend (open connections to an
/// object store, seeks on a disk) whatever its callers do.
package struct ConcurrencyLimitedStorage: Storage {
    /// The wrapped storage.
    package let base: any Storage
    private let permits: AsyncPermits

    /// Wraps a storage.
    ///
    /// - Parameter limit: The most calls in flight at once; at least 1.
    package init(_ base: any Storage, limit: Int) {
        self.base = base
        self.permits = AsyncPermits(max(1, limit))
    }

    /// The limit.
    package var limit: Int { permits.total }

    package var location: String { base.location }

    package var capabilities: StorageCapabilities {
        var capabilities = base.capabilities
        capabilities.preferredConcurrency = min(capabilities.preferredConcurrency, permits.total)
        return capabilities
    }

    package func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        try await permits.with { () async throws(StorageError) in try await base.put(bytes, as: name) }
    }

    package func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        try await permits.with { () async throws(StorageError) in try await base.get(name) }
    }

    package func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        try await permits.with { () async throws(StorageError) in try await base.get(name, range: range) }
    }

    package func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        try await permits.with { () async throws(StorageError) in try await base.stat(name) }
    }

    package func list(_ kind: ObjectKind) -> ObjectListing {
        let base = base
        let permits = permits
        return ObjectListing {
            let source = base.list(kind).makePageSource()
            return { () async throws(StorageError) -> [ObjectInfo]? in
                try await permits.with { () async throws(StorageError) in try await source() }
            }
        }
    }

    package func delete(_ name: ObjectName) async throws(StorageError) {
        try await permits.with { () async throws(StorageError) in try await base.delete(name) }
    }

    /// Forwards to the wrapped storage.
    package func removeStaleTemporaryFiles(olderThan age: Duration) async throws(StorageError) -> Int {
        try await base.removeStaleTemporaryFiles(olderThan: age)
    }
}
