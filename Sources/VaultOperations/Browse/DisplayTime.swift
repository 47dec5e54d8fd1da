import Glibc
import VaultRepository

/// Times as listings show them: `2026-11-26 17:02:03`, to the second.
package enum DisplayTime {
    /// Which clock a time is shown in.
    package enum Zone: Sendable {
        /// The local time zone (`TZ`, else `/etc/localtime`).
        case local
        /// Coordinated universal time.
        case utc
    }

    /// Reads `TZ` (or `/etc/localtime`) once: `localtime_r`, unlike
    /// `localtime`, need not, and `tzset` for every line of a long listing
    /// would look at the zone file every time.
    private static let zoneLoaded: Void = tzset()

    /// A time as `YYYY-MM-DD HH:MM:SS`.
    ///
    /// - Parameters:
    ///   - time: The time.
    ///   - zone: The local time zone or UTC.
    /// - Returns: The text, without a zone name.
    package static func format(_ time: Timestamp, in zone: Zone) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        switch zone {
        case .local:
            _ = zoneLoaded
            localtime_r(&seconds, &parts)
        case .utc: gmtime_r(&seconds, &parts)
        }
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
    }
}
