import VaultPOSIX

/// A point in time with nanosecond precision, stored as nanoseconds since
/// 1970-01-01T00:00:00Z and written as RFC 3339 in UTC.
///
/// The range is that of an `i64` count of nanoseconds (docs/format.md,
/// "Tree blobs"): 1677-09-21T00:12:43.145224192Z ... 2262-04-11T23:47:16.854775807Z.
/// Every operation on a timestamp read from a repository is defined over the
/// whole range: nothing here traps on a hostile value.
package struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch.
    package var nanoseconds: Int64

    /// The earliest time a timestamp holds.
    package static let earliest = Timestamp(nanoseconds: .min)
    /// The latest time a timestamp holds.
    package static let latest = Timestamp(nanoseconds: .max)

    /// Creates a timestamp from nanoseconds since the Unix epoch.
    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Creates a timestamp from seconds and nanoseconds past them, or `nil`
    /// when that time lies outside ``earliest`` ... ``latest``.
    ///
    /// - Parameters:
    ///   - seconds: Whole seconds since the epoch (negative before).
    ///   - nanoseconds: Nanoseconds past `seconds`, normally 0 ..< 1,000,000,000.
    package init?(seconds: Int64, nanoseconds: Int64) {
        var seconds = seconds
        var nanoseconds = nanoseconds
        if seconds < 0, nanoseconds > 0 {
            // The earliest second's product alone is below Int64.min: borrow one second.
            seconds += 1
            nanoseconds -= 1_000_000_000
        }
        let (product, productOverflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, sumOverflow) = product.addingReportingOverflow(nanoseconds)
        guard !productOverflow, !sumOverflow else { return nil }
        self.nanoseconds = sum
    }

    /// The timestamp nearest to seconds and nanoseconds: the time itself
    /// when it fits, else ``earliest`` or ``latest``.
    ///
    /// - Returns: The timestamp, and whether it is exact.
    package static func clamping(seconds: Int64, nanoseconds: Int64) -> (timestamp: Timestamp, isExact: Bool) {
        if let exact = Timestamp(seconds: seconds, nanoseconds: nanoseconds) {
            return (exact, true)
        }
        // Out of range (with nanoseconds in 0 ..< 10^9): the sign of the seconds decides the side.
        return (seconds < 0 || (seconds == 0 && nanoseconds < 0) ? earliest : latest, false)
    }

    /// The current time (clamped to the range, should the clock be set past 2262).
    package static func now() -> Timestamp {
        let now = RealTimeClock.now()
        return clamping(seconds: now.seconds, nanoseconds: now.nanoseconds).timestamp
    }

    /// Seconds since the Unix epoch, rounded down.
    package var seconds: Int64 {
        let (quotient, remainder) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// Nanoseconds past ``seconds``: 0 ..< 1,000,000,000.
    package var nanosecondsPastSecond: Int64 {
        let remainder = nanoseconds % 1_000_000_000
        return remainder < 0 ? remainder + 1_000_000_000 : remainder
    }

    /// Nanoseconds from `earlier` to this time, saturating at the limits of
    /// `Int64` instead of trapping (times from a repository may be anything).
    package func nanoseconds(since earlier: Timestamp) -> Int64 {
        let (difference, overflow) = nanoseconds.subtractingReportingOverflow(earlier.nanoseconds)
        guard overflow else { return difference }
        return nanoseconds < earlier.nanoseconds ? .min : .max
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`, trailing fractional zeros dropped.
    package var rfc3339: String {
        // Every Timestamp (years 1677-2262) fits the C calendar.
        guard let parts = CalendarTime(secondsSinceEpoch: seconds, in: .utc) else { return "\(seconds) s since 1970" }
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))"
            + "T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))"
        var fraction = Int(nanosecondsPastSecond)
        if fraction > 0 {
            var digits = 9
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            text += "." + pad(fraction, digits)
        }
        return text + "Z"
    }

    /// Parses an RFC 3339 time in UTC (`Z`) or with a numeric offset.
    ///
    /// - Returns: `nil` when `text` is not such a time.
    package init?(rfc3339 text: String) {
        let utf8 = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= utf8.count else { return nil }
            var value = 0
            for byte in utf8[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard utf8.count >= 20,
              let year = number(0..<4), utf8[4] == UInt8(ascii: "-"),
              let month = number(5..<7), utf8[7] == UInt8(ascii: "-"),
              let day = number(8..<10), utf8[10] == UInt8(ascii: "T") || utf8[10] == UInt8(ascii: "t"),
              let hour = number(11..<13), utf8[13] == UInt8(ascii: ":"),
              let minute = number(14..<16), utf8[16] == UInt8(ascii: ":"),
              let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if utf8[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < utf8.count, let digit = number(index..<index + 1) {
                if digits < 9 {
                    fraction = fraction * 10 + Int64(digit)
                    digits += 1
                }
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { fraction *= 10 }
        }
        guard index < utf8.count else { return nil }
        var offsetSeconds = 0
        if utf8[index] == UInt8(ascii: "Z") || utf8[index] == UInt8(ascii: "z") {
            index += 1
        } else if utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-") {
            guard let offsetHours = number(index + 1..<index + 3), index + 3 < utf8.count,
                  utf8[index + 3] == UInt8(ascii: ":"), let offsetMinutes = number(index + 4..<index + 6)
            else { return nil }
            offsetSeconds = (offsetHours * 60 + offsetMinutes) * 60 * (utf8[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == utf8.count else { return nil }
        let parts = CalendarTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let utc = parts.secondsSinceEpochUTC else { return nil }
        let seconds = utc - Int64(offsetSeconds)
        // Years 0000-9999 parse; only 1677-2262 fit in the nanosecond count.
        guard let value = Timestamp(seconds: seconds, nanoseconds: fraction) else { return nil }
        self = value
    }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
        }
        self = value
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }

    package var description: String { rfc3339 }

    package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
