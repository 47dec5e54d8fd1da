/// The 256 gear values of a gear hash, one per byte value.
///
/// FastCDC's gear hash adds `values[byte]` to the hash shifted left one bit
/// for every byte. Its 2020 form reads two bytes per step, so it also keeps
/// the values shifted left one bit (`GEAR_LS` in fastcdc-rs); both live here.
///
/// ``fastCDC`` is the table of the reference implementations. A repository
/// that does not want its chunk boundaries to depend on public constants
/// derives its own 256 values (from a secret) and passes them to
/// ``init(values:)``.
package struct GearTable: Sendable, Hashable {
    /// The number of values in a table, one per byte value.
    package static let count = 256

    /// Both tables in one array, so a cut loop needs one base pointer: the
    /// left-shifted values at `0..<256`, the plain values at `256..<512`.
    let storage: [UInt64]

    /// Creates a gear table from 256 values.
    ///
    /// - Parameter values: The gear value of each byte, indexed by the byte.
    /// - Throws: `ChunkerError` with code `.gearTableSize` unless `values`
    ///   holds exactly 256 values.
    package init(values: [UInt64]) throws(ChunkerError) {
        guard values.count == Self.count else {
            throw ChunkerError(
                .gearTableSize,
                message: "a gear table needs exactly \(Self.count) values, got \(values.count)")
        }
        self.init(unchecked: values)
    }

    init(unchecked values: [UInt64]) {
        precondition(values.count == Self.count)
        storage = values.map { $0 &<< 1 } + values
    }

    /// The gear value of each byte, indexed by the byte.
    package var values: ArraySlice<UInt64> {
        storage[Self.count..<(2 * Self.count)]
    }

    /// The gear values shifted left one bit, indexed by the byte: what the
    /// 2020 loop adds for the first byte of each pair.
    package var shiftedValues: ArraySlice<UInt64> {
        storage[0..<Self.count]
    }

    /// The table of fastcdc-rs and of FastCDC's C reference code: value `i`
    /// is the first 8 bytes, big-endian, of the MD5 digest of 64 bytes
    /// each equal to `i`.
    package static let fastCDC = GearTable(unchecked: fastCDCGearValues)
}
