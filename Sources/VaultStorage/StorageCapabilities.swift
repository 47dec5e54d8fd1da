/// What a backend can promise beyond ``Storage``'s minimum, for operations
/// to read instead of assuming a local disk.
package struct StorageCapabilities: Sendable, Hashable {
    /// How many calls are worth having in flight at once: a few for a local
    /// disk, more for an object store whose every call waits on the network.
    package var preferredConcurrency: Int
    /// Whether `put` refuses to replace any existing object, atomically (a
    /// local folder's `RENAME_NOREPLACE`). When `false`, only
    /// ``ObjectName/config`` is sure to be refused; a content-addressed put
    /// may replace an object with identical bytes.
    package var putRefusesToReplace: Bool
    /// Whether a listing shows every object whose `put` has returned, and
    /// none whose `delete` has returned. When `false`, a writer must allow
    /// for objects that appear or vanish late (prune waits, locks list twice).
    package var listingIsImmediatelyConsistent: Bool
    /// The size of ranged read worth making at least, when a reader may
    /// choose: small for a local disk, where a read costs little beyond its
    /// bytes; megabytes for an object store, where every request costs a
    /// round trip and the server's work.
    package var preferredReadSize: Int

    /// Creates a capabilities value.
    package init(
        preferredConcurrency: Int, putRefusesToReplace: Bool, listingIsImmediatelyConsistent: Bool,
        preferredReadSize: Int = 256 << 10
    ) {
        self.preferredConcurrency = max(1, preferredConcurrency)
        self.putRefusesToReplace = putRefusesToReplace
        self.listingIsImmediatelyConsistent = listingIsImmediatelyConsistent
        self.preferredReadSize = max(1, preferredReadSize)
    }
}
