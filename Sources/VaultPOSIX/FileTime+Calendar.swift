extension FileTime {
    /// The time's whole seconds as a UTC date and time (`gmtime_r`), or
    /// `nil` when the year does not fit the C library's calendar.
    package var calendarTimeUTC: CalendarTime? {
        CalendarTime(secondsSinceEpoch: seconds, in: .utc)
    }
}
