/// File names and paths as one line of text, whatever bytes they hold.
///
/// A name in a snapshot is any bytes but `/` and NUL: it may be invalid
/// UTF-8, or hold a newline that would split a listing's line in two.
/// ``escape(_:)`` keeps valid UTF-8 as it is and writes everything else
/// as an escape, so each entry prints as exactly one line:
///
/// | bytes                          | printed as      |
/// |--------------------------------|-----------------|
/// | a byte that is not valid UTF-8 | `\xff`          |
/// | tab, newline, carriage return  | `\t`, `\n`, `\r`|
/// | other controls (0x01–0x1f, 0x7f) | `\x1b`        |
/// | C1 controls (U+0080–U+009F)    | `\xc2\x9b`      |
/// | a backslash                    | `\\`            |
///
/// Doubling the backslash keeps the escapes unambiguous: `\xff` in the
/// output is always the byte 0xff, never the four characters.
package enum PrintablePath {
    /// The bytes as one line of text, escaped as the type describes.
    ///
    /// - Parameter bytes: A name, a path, or a symlink target.
    /// - Returns: Valid UTF-8 text without control characters.
    package static func escape(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "\\"): output += Array(#"\\"#.utf8)
                case UInt8(ascii: "\t"): output += Array(#"\t"#.utf8)
                case UInt8(ascii: "\n"): output += Array(#"\n"#.utf8)
                case UInt8(ascii: "\r"): output += Array(#"\r"#.utf8)
                case 0x00..<0x20, 0x7F: appendHexEscape(byte, to: &output)
                default: output.append(byte)
                }
                index += 1
            } else if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                // A C1 control (U+009B is CSI to many terminals): its two bytes, escaped.
                appendHexEscape(byte, to: &output)
                appendHexEscape(bytes[index + 1], to: &output)
                index += 2
            } else if let length = validSequenceLength(bytes, at: index) {
                output += bytes[index..<index + length]
                index += length
            } else {
                appendHexEscape(byte, to: &output)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A line of text with its control characters escaped (tab, newline
    /// and carriage return as `\t`, `\n`, `\r`; other C0 and C1 controls
    /// and DEL as their UTF-8 bytes in `\xNN`), so that text from a
    /// repository or a file system can neither split the line nor send a
    /// terminal escape sequence.
    ///
    /// Unlike ``escape(_:)`` it keeps backslashes as they are: it is for
    /// whole messages, whose paths are already escaped.
    package static func terminalSafe(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: isControl) else { return line }
        var output = ""
        for scalar in line.unicodeScalars {
            guard isControl(scalar) else {
                output.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\t": output += #"\t"#
            case "\n": output += #"\n"#
            case "\r": output += #"\r"#
            default:
                var bytes: [UInt8] = []
                for byte in String(scalar).utf8 {
                    appendHexEscape(byte, to: &bytes)
                }
                output += String(decoding: bytes, as: UTF8.self)
            }
        }
        return output
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The bytes as a string when they are valid UTF-8, else `nil`.
    ///
    /// JSON output uses it: a valid name goes into JSON as it is (JSON
    /// escapes control characters itself); an invalid one needs
    /// ``escape(_:)`` and its raw bytes alongside.
    package static func exactString(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// Joins a directory path and an entry name: `/` + `a` is `/a`, `/a` + `b` is `/a/b`.
    package static func join(_ directory: [UInt8], _ name: [UInt8]) -> [UInt8] {
        directory.last == UInt8(ascii: "/") ? directory + name : directory + [UInt8(ascii: "/")] + name
    }

    private static func appendHexEscape(_ byte: UInt8, to output: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        output += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }

    /// The length of the well-formed UTF-8 sequence of two to four bytes
    /// starting at `index` (Unicode 15, table 3-7), or `nil`.
    private static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int? {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return nil }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            return nil
        }
        return length
    }
}
