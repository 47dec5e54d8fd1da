/// The minimum, average and maximum chunk sizes of a FastCDC chunker.
///
/// The ranges are those of the reference implementation (fastcdc-rs,
/// `v2020`): minimum 64 B – 1 MiB, average 256 B – 4 MiB, maximum
/// 1 KiB – 16 MiB, and minimum <= average <= maximum. A value of this type
/// always lies inside them.
package struct ChunkerParameters: Sendable, Hashable, CustomStringConvertible {
    /// The smallest chunk size, except for the last chunk of an input.
    package let minSize: Int
    /// The chunk size aimed at; chunks average about `minSize + avgSize`
    /// because the first `minSize` bytes of a chunk are never tested.
    package let avgSize: Int
    /// The largest chunk size.
    package let maxSize: Int

    /// The allowed minimum chunk sizes.
    package static let minSizeRange = 64...(1 << 20)
    /// The allowed average chunk sizes.
    package static let avgSizeRange = 256...(4 << 20)
    /// The allowed maximum chunk sizes.
    package static let maxSizeRange = 1024...(16 << 20)

    /// The repository default: minimum 512 KiB, average 1 MiB, maximum 8 MiB.
    package static let repositoryDefault = ChunkerParameters(
        unchecked: 512 << 10, avgSize: 1 << 20, maxSize: 8 << 20)

    /// Creates chunker parameters, checking every size.
    ///
    /// - Parameters:
    ///   - minSize: The minimum chunk size, in 64 B – 1 MiB.
    ///   - avgSize: The average chunk size, in 256 B – 4 MiB.
    ///   - maxSize: The maximum chunk size, in 1 KiB – 16 MiB.
    /// - Throws: `ChunkerError` when a size is out of its range, or when
    ///   the sizes are not ordered minimum <= average <= maximum.
    package init(minSize: Int, avgSize: Int, maxSize: Int) throws(ChunkerError) {
        try Self.check(minSize, in: Self.minSizeRange, name: "minimum", code: .minSizeOutOfRange)
        try Self.check(avgSize, in: Self.avgSizeRange, name: "average", code: .avgSizeOutOfRange)
        try Self.check(maxSize, in: Self.maxSizeRange, name: "maximum", code: .maxSizeOutOfRange)
        guard minSize <= avgSize, avgSize <= maxSize else {
            throw ChunkerError(
                .sizesOutOfOrder,
                message: "chunk sizes must satisfy minimum <= average <= maximum, "
                    + "got minimum \(minSize), average \(avgSize), maximum \(maxSize)")
        }
        self.init(unchecked: minSize, avgSize: avgSize, maxSize: maxSize)
    }

    private init(unchecked minSize: Int, avgSize: Int, maxSize: Int) {
        self.minSize = minSize
        self.avgSize = avgSize
        self.maxSize = maxSize
    }

    private static func check(
        _ value: Int, in range: ClosedRange<Int>, name: String, code: ChunkerError.Code
    ) throws(ChunkerError) {
        guard range.contains(value) else {
            throw ChunkerError(
                code,
                message: "\(name) chunk size \(value) is out of range "
                    + "\(range.lowerBound)...\(range.upperBound) bytes")
        }
    }

    /// The three sizes, for messages and logs.
    package var description: String {
        "min \(minSize), avg \(avgSize), max \(maxSize)"
    }
}
