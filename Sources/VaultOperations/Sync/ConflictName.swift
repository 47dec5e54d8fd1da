import VaultRepository

/// Names a conflict copy: `NAME (conflict HOST YYYY-MM-DD HHMMSS).EXT`.
///
/// The extension is what follows the last `.` of the name, unless that
/// `.` is the first byte (`.profile` has none). The host has `/` and NUL
/// replaced by `_`. When the name is taken, ` 2`, ` 3`, … is added after
/// the time.
package struct ConflictName: Sendable {
    /// The host recorded in the name.
    package var host: String
    /// The sync's start time, as `YYYY-MM-DD HHMMSS` in UTC.
    package var stamp: String

    /// Creates a namer for one sync.
    package init(host: String, time: Timestamp) {
        self.host = String(host.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        let text = time.description  // 2026-11-26T17:02:03.123456789Z
        let date = text.prefix(10)
        let clock = text.dropFirst(11).prefix(8).filter { $0 != ":" }
        self.stamp = "\(date) \(clock)"
    }

    /// The conflict copy's name for `name`, avoiding every name `isTaken` says is used.
    package func name(for name: [UInt8], isTaken: ([UInt8]) -> Bool) -> [UInt8] {
        var stem = name
        var ext: [UInt8] = []
        if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
            stem = Array(name[..<dot])
            ext = Array(name[dot...])
        }
        var counter = 1
        while true {
            let suffix = counter == 1 ? "" : " \(counter)"
            let candidate = stem + Array(" (conflict \(host) \(stamp)\(suffix))".utf8) + ext
            if !isTaken(candidate) || counter > 10_000 { return candidate }
            counter += 1
        }
    }
}
