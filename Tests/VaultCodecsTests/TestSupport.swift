import VaultTestSupport

/// Helpers shared by the codec tests.

/// Decodes hexadecimal text (spaces allowed) into bytes.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.utf8.filter { $0 != UInt8(ascii: " ") }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    func value(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit: \(digit)")
        }
    }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        bytes.append(value(digits[index]) << 4 | value(digits[index + 1]))
        index += 2
    }
    return bytes
}

/// Encodes bytes as lowercase hexadecimal text.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: text, as: UTF8.self)
}


/// Text-like bytes: words drawn from a small vocabulary, so they compress the
/// way source code and documents do (roughly 3:1 at zlib's default level).
func textLikeBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    let words = [
        "the", "repository", "chunk", "snapshot", "index", "pack", "of", "and", "a", "to",
        "backup", "restore", "file", "tree", "blob", "key", "lock", "data", "is", "in",
        "func", "let", "var", "return", "struct", "if", "else", "for", "while", "}", "{",
    ].map { Array($0.utf8) }
    var generator = SplitMix64(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 16)
    while bytes.count < count {
        bytes += words[Int(generator.next() % UInt64(words.count))]
        bytes.append(generator.next() % 12 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
    }
    return Array(bytes.prefix(count))
}
