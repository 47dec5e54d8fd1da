import Testing
import VaultTestSupport

@testable import VaultChunker

/// The optimized chunker against the plain transcription of fastcdc-rs's
/// v2020 `cut` (`ReferenceFastCDC`), on seeded pseudo-random data and
/// parameters, and on low-entropy data where maximum-size cuts happen.
@Suite("FastCDC equals the v2020 reference")
struct ReferenceEquivalenceTests {
    /// A number in `range`, spread evenly over its logarithm so that small
    /// sizes are drawn as often as large ones; odd as often as even.
    static func logUniform(_ range: ClosedRange<Int>, using random: inout SplitMix64) -> Int {
        let low = Double(range.lowerBound).squareRoot().squareRoot()
        let high = Double(range.upperBound).squareRoot().squareRoot()
        let root = Double.random(in: low...high, using: &random)
        let value = Int((root * root * root * root).rounded())
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// Random valid parameters, at most `limit` for the minimum and average.
    static func randomParameters(
        using random: inout SplitMix64, limit: Int
    ) throws -> ChunkerParameters {
        let minSize = logUniform(64...min(limit, 1 << 20), using: &random)
        let avgSize = logUniform(max(minSize, 256)...min(4 * limit, 4 << 20), using: &random)
        let maxSize = logUniform(max(avgSize, 1024)...min(16 * limit, 16 << 20), using: &random)
        return try ChunkerParameters(minSize: minSize, avgSize: avgSize, maxSize: maxSize)
    }

    /// Checks `FastCDC` (cut and hash, `chunks(of:)`) and `ChunkStream`
    /// against the reference on one input.
    static func compare(
        _ data: [UInt8], _ parameters: ChunkerParameters, normalization: Int,
        readSize: Int, readLimit: Int, comment: String
    ) throws {
        let chunker = try FastCDC(parameters: parameters, normalization: normalization)
        let reference = ReferenceFastCDC(
            minSize: parameters.minSize, avgSize: parameters.avgSize, maxSize: parameters.maxSize,
            level: normalization)
        let expected = reference.chunks(of: data)
        let ranges = expected.map { $0.offset..<($0.offset + $0.length) }
        let what = "\(comment), \(parameters), normalization \(normalization), \(data.count) bytes"
        #expect(chunker.expectedChunks(of: data) == expected, "\(what)")
        #expect(chunker.chunks(of: data) == ranges, "\(what)")
        let streamed = try streamRanges(
            of: data, chunker: chunker, readSize: readSize, readLimit: { _ in readLimit })
        #expect(streamed == ranges, "\(what), read size \(readSize), reads of at most \(readLimit)")
    }

    @Test("random data, 300 random parameter sets of small to medium sizes")
    func randomSmallParameters() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        for round in 0..<300 {
            let parameters = try Self.randomParameters(using: &random, limit: 16 << 10)
            let normalization = round % 4
            let span = parameters.minSize + parameters.avgSize
            let count = Int.random(in: 0...(12 * span), using: &random)
            let data = SplitMix64.bytes(seed: random.next(), count: count)
            try Self.compare(
                data, parameters, normalization: normalization,
                readSize: Int.random(in: 1...(2 * span), using: &random),
                readLimit: Int.random(in: 1...(3 * span), using: &random),
                comment: "round \(round)")
        }
    }

    @Test("random data, 12 random parameter sets up to the largest sizes")
    func randomLargeParameters() throws {
        var random = SplitMix64(seed: 0x5EED_0002)
        for round in 0..<12 {
            let parameters = try Self.randomParameters(using: &random, limit: 1 << 20)
            let count = Int.random(in: 0...(6 << 20), using: &random)
            let data = SplitMix64.bytes(seed: random.next(), count: count)
            try Self.compare(
                data, parameters, normalization: 1, readSize: 1 << 20, readLimit: 999_983,
                comment: "round \(round)")
        }
    }

    @Test("odd minimum and odd windows: every parity of min, center and window")
    func oddSizes() throws {
        var random = SplitMix64(seed: 0x5EED_0003)
        let data = SplitMix64.bytes(seed: 42, count: 200_000)
        for minSize in [64, 65, 127, 1001] {
            for avgSize in [1001, 1002, 1003, 4095] {
                for maxSize in [2047, 2048, 4097, 9999] where avgSize <= maxSize {
                    let parameters = try ChunkerParameters(
                        minSize: minSize, avgSize: avgSize, maxSize: maxSize)
                    // Short inputs put the end of the data inside each window.
                    let count = Int.random(in: 0...6000, using: &random)
                    for input in [data, Array(data.prefix(count))] {
                        try Self.compare(
                            input, parameters, normalization: Int.random(in: 0...3, using: &random),
                            readSize: 777, readLimit: 1013, comment: "odd sizes")
                    }
                }
            }
        }
    }

    @Test("extreme parameters: smallest, largest, min == avg == max")
    func extremeParameters() throws {
        let data = SplitMix64.bytes(seed: 7, count: 40 << 20)
        let cases: [(Int, Int, Int, Int)] = [
            (64, 256, 1024, 1_000_000),
            (256, 256, 1024, 100_000),
            (1024, 1024, 1024, 100_000),
            (64, 4 << 20, 16 << 20, 40 << 20),
            (1 << 20, 4 << 20, 16 << 20, 40 << 20),
            (1 << 20, 1 << 20, 1 << 20, 5 << 20),
            (512 << 10, 1 << 20, 8 << 20, 24 << 20),
        ]
        for (minSize, avgSize, maxSize, count) in cases {
            let parameters = try ChunkerParameters(minSize: minSize, avgSize: avgSize, maxSize: maxSize)
            for normalization in [1, 3] {
                try Self.compare(
                    Array(data.prefix(count)), parameters, normalization: normalization,
                    readSize: 1 << 20, readLimit: 65536, comment: "extremes")
            }
        }
    }

    @Test("low-entropy data: zeros and repeating patterns, where max-size cuts happen")
    func lowEntropy() throws {
        var inputs: [(String, [UInt8])] = [("zeros", [UInt8](repeating: 0, count: 300_001))]
        for period in [1, 2, 3, 7, 64, 1000] {
            let pattern = SplitMix64.bytes(seed: UInt64(period), count: period)
            inputs.append(
                ("period \(period)", (0..<250_003).map { pattern[$0 % period] }))
        }
        var mixed = SplitMix64.bytes(seed: 99, count: 50_000)
        mixed += [UInt8](repeating: 0xAA, count: 120_000)
        mixed += SplitMix64.bytes(seed: 100, count: 30_001)
        mixed += [UInt8](repeating: 0, count: 70_000)
        inputs.append(("random and constant runs", mixed))
        let sizes: [(Int, Int, Int)] = [
            (64, 256, 1024), (65, 300, 1025), (1001, 4096, 7777), (4096, 16384, 65535),
        ]
        var sawMaxCut = false
        for (name, data) in inputs {
            for (minSize, avgSize, maxSize) in sizes {
                let parameters = try ChunkerParameters(
                    minSize: minSize, avgSize: avgSize, maxSize: maxSize)
                for normalization in 0...3 {
                    try Self.compare(
                        data, parameters, normalization: normalization, readSize: 4099,
                        readLimit: 5003, comment: name)
                }
                let chunker = try FastCDC(parameters: parameters)
                sawMaxCut =
                    sawMaxCut || chunker.chunks(of: data).contains { $0.count == maxSize }
            }
        }
        #expect(sawMaxCut, "low-entropy inputs should produce maximum-size chunks")
    }
}
