/// What a backend knows about one stored object.
package struct ObjectInfo: Hashable, Sendable {
    /// The object's name.
    package var name: ObjectName
    /// The object's size in bytes.
    package var size: Int64
    /// When the object was last written, by the storage's own clock (a
    /// file's modification time, an S3 object's `Last-Modified`). Locks and
    /// prune's safety margins compare it with the local clock to detect skew.
    /// Its precision is the storage's: nanoseconds for a folder,
    /// milliseconds or seconds for an object store.
    package var modificationTime: StorageTime

    /// Creates an object description.
    package init(name: ObjectName, size: Int64, modificationTime: StorageTime) {
        self.name = name
        self.size = size
        self.modificationTime = modificationTime
    }
}

/// A point in time as a storage reports it: nanoseconds since
/// 1970-01-01T00:00:00Z (until the year 2262).
package struct StorageTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch; negative before it.
    package var nanosecondsSinceEpoch: Int64

    /// Creates a time from nanoseconds since the Unix epoch.
    package init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Creates a time from seconds and nanoseconds since the Unix epoch,
    /// clamped to the range an `Int64` of nanoseconds holds.
    package init(seconds: Int64, nanoseconds: Int32) {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            self.init(nanosecondsSinceEpoch: seconds < 0 ? .min : .max)
        } else {
            let (sum, overflow) = scaled.addingReportingOverflow(Int64(nanoseconds))
            self.init(nanosecondsSinceEpoch: overflow ? .max : sum)
        }
    }

    package static func < (lhs: StorageTime, rhs: StorageTime) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    package var description: String { "\(nanosecondsSinceEpoch)ns" }
}
