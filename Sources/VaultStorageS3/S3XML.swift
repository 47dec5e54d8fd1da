/// A small, strict XML reader for S3's answers (`ListBucketResult`,
/// `Error`): elements, text, the five named entities and numeric character
/// references, CDATA, comments and the XML declaration. Attributes are
/// read past and dropped; a DOCTYPE (and so any entity definition) is
/// refused. Every byte is the server's, so nesting depth and element count
/// are bounded and every malformed input is an error, never a crash.
struct S3XMLElement: Sendable, Equatable {
    /// The element's name, without any namespace prefix.
    var name: String
    /// The element's text, entities resolved (child elements' text excluded).
    var text: String
    /// The child elements, in order.
    var children: [S3XMLElement]

    /// The first child of that name.
    func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child of that name.
    func children(_ name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child of that name.
    func text(of name: String) -> String? {
        child(name)?.text
    }
}

/// Why an XML answer could not be read.
struct S3XMLError: Error, Sendable, CustomStringConvertible {
    var reason: String
    var offset: Int
    var description: String { "malformed XML at byte \(offset): \(reason)" }
}

enum S3XML {
    static let maximumDepth = 32
    static let maximumElements = 200_000

    /// Parses a document and returns its root element.
    static func parse(_ bytes: [UInt8]) throws(S3XMLError) -> S3XMLElement {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var elements = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func fail(_ reason: String) -> S3XMLError {
            S3XMLError(reason: reason, offset: index)
        }

        mutating func document() throws(S3XMLError) -> S3XMLElement {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            try skipMisc()
            guard peek(UInt8(ascii: "<")) else { throw fail("expected the root element") }
            let root = try element(depth: 0)
            try skipMisc()
            guard index == bytes.count else { throw fail("content after the root element") }
            return root
        }

        /// Skips white space, comments and processing instructions.
        mutating func skipMisc() throws(S3XMLError) {
            while true {
                skipSpace()
                if starts("<?") {
                    try skip(past: "?>")
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<!") {
                    throw fail("document type declarations are not accepted")
                } else {
                    return
                }
            }
        }

        mutating func element(depth: Int) throws(S3XMLError) -> S3XMLElement {
            guard depth < S3XML.maximumDepth else { throw fail("elements nested too deeply") }
            elements += 1
            guard elements <= S3XML.maximumElements else { throw fail("too many elements") }
            index += 1  // "<"
            let qualified = try name()
            // Attributes: read past them, respecting quotes.
            while true {
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated start tag") }
                if starts("/>") {
                    index += 2
                    return S3XMLElement(name: Self.local(qualified), text: "", children: [])
                }
                if bytes[index] == UInt8(ascii: ">") {
                    index += 1
                    break
                }
                _ = try name()
                skipSpace()
                guard peek(UInt8(ascii: "=")) else { throw fail("attribute without a value") }
                index += 1
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw fail("unquoted attribute value")
                }
                let quote = bytes[index]
                index += 1
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw fail("unterminated attribute value") }
                index += 1
            }
            var text: [UInt8] = []
            var children: [S3XMLElement] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated element <\(qualified)>") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "<") {
                    if starts("</") {
                        index += 2
                        let closing = try name()
                        skipSpace()
                        guard closing == qualified, peek(UInt8(ascii: ">")) else {
                            throw fail("</\(closing)> does not close <\(qualified)>")
                        }
                        index += 1
                        guard let decoded = String(validating: text, as: UTF8.self) else { throw fail("text is not UTF-8") }
                        return S3XMLElement(name: Self.local(qualified), text: decoded, children: children)
                    } else if starts("<!--") {
                        try skip(past: "-->")
                    } else if starts("<![CDATA[") {
                        index += 9
                        let start = index
                        try skip(past: "]]>")
                        text += bytes[start..<(index - 3)]
                    } else if starts("<?") {
                        try skip(past: "?>")
                    } else if starts("<!") {
                        throw fail("declarations are not accepted inside elements")
                    } else {
                        children.append(try element(depth: depth + 1))
                    }
                } else if byte == UInt8(ascii: "&") {
                    text += try reference()
                } else {
                    text.append(byte)
                    index += 1
                }
            }
        }

        /// An entity or character reference, as UTF-8.
        mutating func reference() throws(S3XMLError) -> [UInt8] {
            let start = index + 1
            var end = start
            while end < bytes.count, end - start < 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw fail("unterminated reference") }
            let body = Array(bytes[start..<end])
            index = end + 1
            switch String(decoding: body, as: UTF8.self) {
            case "amp": return [UInt8(ascii: "&")]
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            default: break
            }
            guard body.first == UInt8(ascii: "#"), body.count >= 2 else { throw fail("unknown entity") }
            var digits = body.dropFirst()
            var radix: UInt32 = 10
            if digits.first == UInt8(ascii: "x") {
                radix = 16
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 8,
                  let value = UInt32(String(decoding: digits, as: UTF8.self), radix: Int(radix)),
                  let scalar = Unicode.Scalar(value), value != 0
            else { throw fail("bad character reference") }
            return Array(String(Character(scalar)).utf8)
        }

        mutating func name() throws(S3XMLError) -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                let isNameByte = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") || byte >= 0x80
                guard isNameByte, index - start < 256 else { break }
                index += 1
            }
            guard index > start, let text = String(validating: bytes[start..<index], as: UTF8.self) else { throw fail("expected a name") }
            return text
        }

        static func local(_ qualified: String) -> String {
            guard let colon = qualified.lastIndex(of: ":") else { return qualified }
            return String(qualified[qualified.index(after: colon)...])
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func peek(_ byte: UInt8) -> Bool {
            index < bytes.count && bytes[index] == byte
        }

        func starts(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            return text.withUTF8Buffer { pattern in
                for offset in 0..<count where bytes[index + offset] != pattern[offset] { return false }
                return true
            }
        }

        mutating func skip(past terminator: StaticString) throws(S3XMLError) {
            while index < bytes.count {
                if starts(terminator) {
                    index += terminator.utf8CodeUnitCount
                    return
                }
                index += 1
            }
            throw fail("unterminated construct")
        }
    }
}
