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
        // (shortened below when the result would be too long)
        if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
            stem = Array(name[..<dot])
            ext = Array(name[dot...])
        }
        var counter = 1
        while true {
            let suffix = counter == 1 ? "" : " \(counter)"
            let tag = Array(" (conflict \(host) \(stamp)\(suffix))".utf8)
            // File names are at most 255 bytes: shorten the stem (on a character boundary), then the extension.
            var stem = stem
            var ext = ext
            if stem.count + tag.count + ext.count > Self.maximumLength {
                ext = Self.prefix(ext, Swift.max(0, Self.maximumLength / 4))
                stem = Self.prefix(stem, Swift.max(1, Self.maximumLength - tag.count - ext.count))
            }
            let candidate = Self.prefix(stem + tag + ext, Self.maximumLength)
            if !isTaken(candidate) || counter > 10_000 { return candidate }
            counter += 1
        }
    }

    /// The longest file name most file systems take, in bytes.
    static let maximumLength = 255

    /// At most `count` bytes of `bytes`, not ending inside a UTF-8 sequence.
    static func prefix(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
        guard bytes.count > count else { return bytes }
        var end = count
        while end > 0, bytes[end] & 0b1100_0000 == 0b1000_0000 { end -= 1 }
        return Array(bytes[..<end])
    }
}
