import VaultCodecs

/// Appends little-endian binary fields to a byte buffer.
struct BinaryWriter {
    private(set) var bytes: [UInt8]

    init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ digest: Digest256) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: Digest256.byteCount))
        bytes.withUnsafeMutableBytes { digest.write(to: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    mutating func append(bytes other: some Collection<UInt8>) {
        bytes.append(contentsOf: other)
    }

    /// Appends `other` preceded by its length as a `Length` integer.
    ///
    /// - Precondition: the length fits in `Length`; callers validate first.
    mutating func append<Length: FixedWidthInteger>(lengthPrefixed other: some Collection<UInt8>, as _: Length.Type) {
        precondition(other.count <= Int(Length.max), "field too long for its length prefix")
        append(Length(other.count))
        bytes.append(contentsOf: other)
    }
}
