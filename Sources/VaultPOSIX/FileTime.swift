import Glibc

/// A file timestamp with nanosecond precision, as the kernel keeps it.
///
/// Kept as seconds and nanoseconds rather than one count of nanoseconds,
/// which would overflow for dates past 2262 that file systems can hold.
package struct FileTime: Hashable, Comparable, Sendable {
    /// Whole seconds since 1970-01-01 00:00:00 UTC (negative before).
    package var seconds: Int64
    /// Nanoseconds past ``seconds``, 0 ..< 1,000,000,000.
    package var nanoseconds: Int32

    /// Creates a timestamp.
    ///
    /// - Parameters:
    ///   - seconds: Whole seconds since the epoch.
    ///   - nanoseconds: Nanoseconds past `seconds`.
    package init(seconds: Int64, nanoseconds: Int32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Converts a C `timespec`.
    init(_ time: timespec) {
        self.init(seconds: Int64(time.tv_sec), nanoseconds: Int32(time.tv_nsec))
    }

    /// The current time (`clock_gettime(CLOCK_REALTIME)`).
    package static var now: FileTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return FileTime(time)
    }

    package static func < (lhs: FileTime, rhs: FileTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}
