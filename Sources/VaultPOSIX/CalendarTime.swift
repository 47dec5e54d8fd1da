#if canImport(Glibc)
import Glibc
#endif

/// Broken-down calendar time: a date and a time of day.
package struct CalendarTime: Hashable, Sendable {
    /// The year, e.g. 2026.
    package var year: Int
    /// The month, 1–12.
    package var month: Int
    /// The day of the month, 1–31.
    package var day: Int
    /// The hour, 0–23.
    package var hour: Int
    /// The minute, 0–59.
    package var minute: Int
    /// The second, 0–60.
    package var second: Int

    /// Creates a calendar time from its fields (not checked).
    package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Which clock a time is broken down in.
    package enum Zone: Sendable {
        /// The local time zone (`TZ`, else `/etc/localtime`), read once.
        case local
        /// Coordinated universal time.
        case utc
    }

    /// Reads `TZ` (or `/etc/localtime`) once: `localtime_r`, unlike
    /// `localtime`, need not, and `tzset` for every line of a long listing
    /// would look at the zone file every time.
    private static let zoneLoaded: Void = tzset()

    /// The calendar time of `seconds` since the Unix epoch, or nil when
    /// its year does not fit the C library's calendar (an `int`).
    ///
    /// - Parameters:
    ///   - seconds: Seconds since 1970-01-01T00:00:00Z.
    ///   - zone: The zone to break it down in.
    package init?(secondsSinceEpoch seconds: Int64, in zone: Zone) {
        var time = time_t(seconds)
        var parts = tm()
        switch zone {
        case .local:
            _ = Self.zoneLoaded
            guard localtime_r(&time, &parts) != nil else { return nil }
        case .utc:
            guard gmtime_r(&time, &parts) != nil else { return nil }
        }
        self.init(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec)
        )
    }

    /// Seconds since the Unix epoch of this time read as UTC (`timegm`),
    /// or nil when a field does not fit the C library's `int`.
    package var secondsSinceEpochUTC: Int64? {
        guard let year = Int32(exactly: year - 1900), let month = Int32(exactly: month - 1),
              let day = Int32(exactly: day), let hour = Int32(exactly: hour),
              let minute = Int32(exactly: minute), let second = Int32(exactly: second)
        else { return nil }
        var parts = tm()
        parts.tm_year = year
        parts.tm_mon = month
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Int64(timegm(&parts))
    }
}
