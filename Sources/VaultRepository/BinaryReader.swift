import VaultCodecs

/// Reads little-endian binary fields from a byte buffer, bounds-checked.
///
/// Every read past the end throws, so a truncated or hostile structure is
/// reported as damage, never a crash.
struct BinaryReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    /// What is being parsed, for error messages ("pack header", "tree blob 3f2a…").
    let context: String

    init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.offset = 0
        self.context = context
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    private func fail(_ what: String) -> RepositoryError {
        RepositoryError(.damaged, "\(context) is damaged: \(what) at byte \(offset)")
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(RepositoryError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw fail("truncated") }
        let value = bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        offset += size
        return value
    }

    mutating func readDigest() throws(RepositoryError) -> Digest256 {
        guard remaining >= Digest256.byteCount else { throw fail("truncated") }
        let digest = bytes.withUnsafeBytes {
            Digest256(bytes: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + Digest256.byteCount]))!
        }
        offset += Digest256.byteCount
        return digest
    }

    mutating func readBytes(_ count: Int) throws(RepositoryError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw fail("truncated") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func readLengthPrefixed<Length: FixedWidthInteger>(_: Length.Type) throws(RepositoryError) -> ArraySlice<UInt8> {
        let length = try read(Length.self)
        return try readBytes(Int(length))
    }

    mutating func expectMagic(_ magic: String) throws(RepositoryError) {
        let expected = Array(magic.utf8)
        guard remaining >= expected.count, try readBytes(expected.count).elementsEqual(expected) else {
            throw RepositoryError(.damaged, "\(context) is damaged: missing \(magic) signature")
        }
    }

    /// Checks that a count read from the structure is plausible: `count`
    /// records of at least `minimumSize` bytes must fit in what remains.
    func checkCount(_ count: Int, minimumSize: Int) throws(RepositoryError) {
        guard count >= 0, count <= remaining / max(minimumSize, 1) else { throw fail("count \(count) exceeds the data") }
    }

    func expectEnd() throws(RepositoryError) {
        guard isAtEnd else { throw fail("\(remaining) unexpected trailing bytes") }
    }
}
