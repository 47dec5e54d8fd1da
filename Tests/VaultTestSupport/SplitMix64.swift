/// A small seeded pseudo-random generator (SplitMix64), so every test run
/// sees the same "random" data and parameters.
///
/// Shared by every test target. Its output is fixed: the chunker's
/// generated vectors (`Fixtures/chunker/`) were made with it, so changing it
/// breaks them.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator; the same seed gives the same sequence.
    package init(seed: UInt64) {
        state = seed
    }

    /// The next 64 pseudo-random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes: the generator's words, little-endian, cut to `count`.
    package static func bytes(seed: UInt64, count: Int) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: (count + 7) / 8 * 8)
        bytes.withUnsafeMutableBytes { raw in
            for word in 0..<(raw.count / 8) {
                raw.storeBytes(of: generator.next().littleEndian, toByteOffset: word * 8, as: UInt64.self)
            }
        }
        return Array(bytes.prefix(count))
    }
}

/// `count` deterministic pseudo-random bytes: contents that do not compress,
/// the same for a seed on every run.
package func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    SplitMix64.bytes(seed: seed, count: count)
}
