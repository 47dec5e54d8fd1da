import VaultStorage

/// The time formats S3 speaks, converted without a calendar library: the
/// signature's `YYYYMMDDTHHMMSSZ`, ISO 8601 in listings
/// (`2009-10-12T17:50:30.000Z`) and the HTTP date of `Last-Modified`
/// (`Wed, 12 Oct 2009 17:50:30 GMT`).
enum S3Time {
    /// `YYYYMMDDTHHMMSSZ` for `x-amz-date`.
    static func amzDate(_ time: StorageTime) -> String {
        let seconds = floorDivide(time.nanosecondsSinceEpoch, 1_000_000_000)
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2)
            + pad(secondOfDay % 60, 2) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z`; `nil` for anything else.
    static func parseISO8601(_ text: String) -> StorageTime? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40, bytes.last == UInt8(ascii: "Z"),
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
              let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19])
        else { return nil }
        var nanoseconds: Int64 = 0
        let rest = bytes[19..<(bytes.count - 1)]
        if !rest.isEmpty {
            guard rest.first == UInt8(ascii: "."), rest.count >= 2, rest.count <= 10, let fraction = number(rest.dropFirst()) else { return nil }
            nanoseconds = fraction
            for _ in 0..<(10 - rest.count) { nanoseconds *= 10 }
        }
        return time(year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanoseconds: nanoseconds)
    }

    /// Parses an HTTP date, `Wed, 12 Oct 2009 17:50:30 GMT`; `nil` for anything else.
    static func parseHTTPDate(_ text: String) -> StorageTime? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = number(parts[1].utf8[...]),
              let month = months.firstIndex(of: String(parts[2])), let year = number(parts[3].utf8[...])
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = number(clock[0].utf8[...]), let minute = number(clock[1].utf8[...]),
              let second = number(clock[2].utf8[...])
        else { return nil }
        return time(year: year, month: Int64(month) + 1, day: day, hour: hour, minute: minute, second: second, nanoseconds: 0)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func time(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, nanoseconds: Int64) -> StorageTime? {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            return nil
        }
        let seconds = days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        // Years past 2262 do not fit in nanoseconds: clamped, never a trap (a server's times are hostile input).
        return StorageTime(seconds: seconds, nanoseconds: Int32(nanoseconds))
    }

    /// Decimal digits only, at most 18 of them.
    private static func number<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
