import VaultPOSIX
import VaultRepository

/// Times as listings show them: `2026-11-26 17:02:03`, to the second.
package enum DisplayTime {
    /// Which clock a time is shown in: local or UTC.
    package typealias Zone = CalendarTime.Zone

    /// A time as `YYYY-MM-DD HH:MM:SS`.
    ///
    /// - Parameters:
    ///   - time: The time.
    ///   - zone: The local time zone or UTC.
    /// - Returns: The text, without a zone name.
    package static func format(_ time: Timestamp, in zone: Zone) -> String {
        guard let parts = CalendarTime(secondsSinceEpoch: time.seconds, in: zone) else { return "\(time.seconds) s since 1970" }
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2)) "
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))"
    }
}
