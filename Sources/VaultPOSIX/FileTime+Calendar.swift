import Glibc

/// A moment as a date and time of day in UTC, to the second.
package struct CalendarTime: Hashable, Sendable {
    /// The year (1970, 2262, …; may be below 1 or above 9999).
    package var year: Int
    /// The month, 1 to 12.
    package var month: Int
    /// The day of the month, 1 to 31.
    package var day: Int
    /// The hour, 0 to 23.
    package var hour: Int
    /// The minute, 0 to 59.
    package var minute: Int
    /// The second, 0 to 60.
    package var second: Int
}

extension FileTime {
    /// The time's whole seconds as a UTC date and time (`gmtime_r`), or
    /// `nil` when the year does not fit the C library's calendar.
    package var calendarTimeUTC: CalendarTime? {
        var seconds = time_t(self.seconds)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return nil }
        return CalendarTime(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }
}
