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

    /// Converts a C `timespec`. The kernel keeps `tv_nsec` in 0 ..< 10^9;
    /// a file system that reports more (a FUSE server may) is clamped
    /// rather than trusted to fit an `Int32`.
    package init(_ time: timespec) {
        self.init(seconds: Int64(time.tv_sec), nanoseconds: Int32(clamping: min(max(time.tv_nsec, 0), 999_999_999)))
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
