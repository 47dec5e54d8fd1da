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

    /// Creates a capabilities value.
    package init(preferredConcurrency: Int, putRefusesToReplace: Bool, listingIsImmediatelyConsistent: Bool) {
        self.preferredConcurrency = max(1, preferredConcurrency)
        self.putRefusesToReplace = putRefusesToReplace
        self.listingIsImmediatelyConsistent = listingIsImmediatelyConsistent
    }
}
