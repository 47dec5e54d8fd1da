import VaultRepository

/// A calendar duration for `--keep-within*`: years, months, weeks, days
/// and hours, written like `7d`, `2w3d`, `1y6m` or `36h`.
///
/// Subtracting it works on the calendar, as restic's durations do: years
/// and months first (the day of the month normalized: 31 March minus one
/// month is 3 March, since 31 February does not exist), then days (a week
/// is 7 days), then hours.
package struct RetentionDuration: Sendable, Hashable, CustomStringConvertible {
    package var years = 0
    package var months = 0
    package var days = 0
    package var hours = 0

    /// The largest count one unit accepts (100,000 years is far beyond any
    /// snapshot; the limit keeps the arithmetic from overflowing).
    static let maximumCount = 1_000_000

    /// Creates a duration from its parts.
    package init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
        self.years = years
        self.months = months
        self.days = days
        self.hours = hours
    }

    /// Parses `NyNmNwNdNh` (each part optional, in any order, at least one).
    ///
    /// - Returns: `nil` when `text` is not such a duration.
    package init?(_ text: String) {
        var number: Int?
        var sawUnit = false
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                let value = (number ?? 0) * 10 + digit
                guard value <= Self.maximumCount else { return nil }
                number = value
                continue
            }
            guard let count = number else { return nil }
            switch character {
            case "y": years += count
            case "m": months += count
            case "w": days += 7 * count
            case "d": days += count
            case "h": hours += count
            default: return nil
            }
            guard years <= Self.maximumCount, months <= Self.maximumCount, days <= 7 * Self.maximumCount, hours <= Self.maximumCount else {
                return nil
            }
            number = nil
            sawUnit = true
        }
        guard sawUnit, number == nil else { return nil }
    }

    /// `1y6m`, `17d`, `0h` for an empty duration.
    package var description: String {
        var text = ""
        if years > 0 { text += "\(years)y" }
        if months > 0 { text += "\(months)m" }
        if days > 0 { text += "\(days)d" }
        if hours > 0 { text += "\(hours)h" }
        return text.isEmpty ? "0h" : text
    }

    /// The time this duration before `time`.
    package func before(_ time: Timestamp) -> Timestamp {
        var fields = CivilTime(time)
        fields.year -= years
        fields.month -= months
        fields.day -= days
        fields.hour -= hours
        return fields.timestamp
    }
}
