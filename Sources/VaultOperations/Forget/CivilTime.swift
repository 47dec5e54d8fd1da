import VaultRepository

/// A point in time broken into its UTC calendar fields, for retention
/// buckets and durations (proleptic Gregorian calendar; the day arithmetic
/// is Howard Hinnant's `days_from_civil` and `civil_from_days`).
struct CivilTime: Sendable, Equatable {
    var year: Int
    /// 1…12.
    var month: Int
    /// 1…31.
    var day: Int
    var hour: Int
    /// Nanoseconds since the start of the hour.
    var nanosecondsInHour: Int64

    private static let nanosecondsPerHour: Int64 = 3_600_000_000_000
    private static let hoursPerDay: Int64 = 24

    /// The UTC fields of a timestamp.
    init(_ time: Timestamp) {
        let hours = Self.floorDivide(time.nanoseconds, Self.nanosecondsPerHour)
        nanosecondsInHour = time.nanoseconds - hours * Self.nanosecondsPerHour
        let days = Self.floorDivide(hours, Self.hoursPerDay)
        hour = Int(hours - days * Self.hoursPerDay)
        (year, month, day) = Self.civil(fromDays: Int(days))
    }

    /// Fields as given; `day` and `month` may lie outside their usual
    /// ranges and are normalized by ``timestamp`` (31 February is 3 March).
    init(year: Int, month: Int, day: Int, hour: Int, nanosecondsInHour: Int64 = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.nanosecondsInHour = nanosecondsInHour
    }

    /// The timestamp of these fields, normalizing an out-of-range month or day.
    var timestamp: Timestamp {
        // Months first: month 0 is December of the year before.
        let monthIndex = year * 12 + (month - 1)
        let normalizedYear = Self.floorDivide(Int64(monthIndex), 12)
        let normalizedMonth = Int(Int64(monthIndex) - normalizedYear * 12) + 1
        let days = Int64(Self.days(fromCivil: Int(normalizedYear), normalizedMonth, 1)) + Int64(day - 1)
        // Far outside the representable range (durations of thousands of
        // years) the result is clamped, never trapping.
        let (dayHours, overflow1) = days.multipliedReportingOverflow(by: Self.hoursPerDay)
        let (hours, overflow2) = dayHours.addingReportingOverflow(Int64(hour))
        let (nanoseconds, overflow3) = hours.multipliedReportingOverflow(by: Self.nanosecondsPerHour)
        let (total, overflow4) = nanoseconds.addingReportingOverflow(nanosecondsInHour)
        guard !(overflow1 || overflow2 || overflow3 || overflow4) else {
            return Timestamp(nanoseconds: days < 0 ? .min : .max)
        }
        return Timestamp(nanoseconds: total)
    }

    /// Days since 1970-01-01 of this date (its month and day in range).
    var daysSinceEpoch: Int { Self.days(fromCivil: year, month, day) }

    /// 1 (Monday) … 7 (Sunday).
    var isoWeekday: Int {
        // 1970-01-01 was a Thursday (4).
        let weekday = (daysSinceEpoch + 3) % 7
        return (weekday < 0 ? weekday + 7 : weekday) + 1
    }

    /// The ISO 8601 week-numbering year and week (1…53): the week belongs to
    /// the year of its Thursday.
    var isoWeek: (year: Int, week: Int) {
        let thursday = daysSinceEpoch - (isoWeekday - 1) + 3
        let thursdayYear = Self.civil(fromDays: thursday).year
        let ordinal = thursday - Self.days(fromCivil: thursdayYear, 1, 1)
        return (thursdayYear, ordinal / 7 + 1)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    /// Days since 1970-01-01 of a date with month 1…12.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day number (days since 1970-01-01).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
