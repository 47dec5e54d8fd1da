/// A 256-bit digest: the output of SHA-256 or HMAC-SHA-256.
///
/// Stored inline as four 64-bit words (no heap allocation), so millions of
/// them fit in flat arrays. The byte order of ``bytes`` is the digest's own
/// order, as printed by `sha256sum`.
package struct Digest256: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The digest in four words; word 0 holds bytes 0–7, big-endian, so that
    /// comparing words compares the digests byte by byte.
    package var words: (UInt64, UInt64, UInt64, UInt64)

    /// The number of bytes in a digest.
    package static let byteCount = 32

    /// An all-zero digest.
    package static let zero = Digest256(words: (0, 0, 0, 0))

    /// Creates a digest from its four big-endian words.
    package init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Creates a digest from exactly 32 bytes.
    ///
    /// - Parameter bytes: The digest bytes; must hold exactly 32 bytes.
    /// - Returns: `nil` when `bytes` does not hold exactly 32 bytes.
    package init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.byteCount else { return nil }
        func word(_ index: Int) -> UInt64 {
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
        }
        self.words = (word(0), word(1), word(2), word(3))
    }

    /// Creates a digest from exactly 32 bytes.
    ///
    /// - Returns: `nil` when `bytes` does not hold exactly 32 bytes.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        if let digest = bytes.withContiguousStorageIfAvailable({ Digest256(bytes: UnsafeRawBufferPointer($0)) }) {
            guard let digest else { return nil }
            self = digest
        } else {
            guard let digest = Array(bytes).withUnsafeBytes({ Digest256(bytes: $0) }) else { return nil }
            self = digest
        }
    }

    /// Parses 64 hexadecimal digits (either case).
    ///
    /// - Returns: `nil` unless `hex` is exactly 64 hexadecimal digits.
    package init?(hex: some StringProtocol) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
        var word: UInt64 = 0
        for character in hex.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            guard count < 64 else { return nil }
            word = word << 4 | UInt64(nibble)
            count += 1
            switch count {
            case 16: words.0 = word
            case 32: words.1 = word
            case 48: words.2 = word
            case 64: words.3 = word
            default: continue
            }
            word = 0
        }
        guard count == 64 else { return nil }
        self.words = words
    }

    /// The 32 digest bytes.
    package var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: Self.byteCount)
        result.withUnsafeMutableBytes { write(to: $0) }
        return result
    }

    /// Writes the 32 digest bytes to the start of `buffer`.
    ///
    /// - Precondition: `buffer.count >= 32`.
    package func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.byteCount, "buffer too small for a digest")
        buffer.storeBytes(of: words.0.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: words.1.bigEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: words.2.bigEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: words.3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// The digest as 64 lowercase hexadecimal digits.
    package var hex: String {
        String(unsafeUninitializedCapacity: 64) { text in
            let digits: StaticString = "0123456789abcdef"
            let digit = digits.utf8Start
            for (wordIndex, word) in [words.0, words.1, words.2, words.3].enumerated() {
                for nibbleIndex in 0..<16 {
                    let nibble = Int(truncatingIfNeeded: (word >> UInt64(60 - 4 * nibbleIndex)) & 0xF)
                    text[wordIndex * 16 + nibbleIndex] = digit[nibble]
                }
            }
            return 64
        }
    }

    /// The first 8 hexadecimal digits, for messages.
    package var shortHex: String { String(hex.prefix(8)) }

    /// The 64 lowercase hexadecimal digits, as ``hex``.
    package var description: String { hex }

    /// Whether two digests are the same 32 bytes.
    package static func == (lhs: Digest256, rhs: Digest256) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1
            && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    /// Feeds the first word to `hasher`; digests are uniformly distributed.
    package func hash(into hasher: inout Hasher) {
        // The words are uniformly distributed already; one is plenty.
        hasher.combine(words.0)
    }

    /// Byte-wise (lexicographic) order, the order of their ``hex`` strings.
    package static func < (lhs: Digest256, rhs: Digest256) -> Bool {
        (lhs.words.0, lhs.words.1, lhs.words.2, lhs.words.3) < (rhs.words.0, rhs.words.1, rhs.words.2, rhs.words.3)
    }
}
