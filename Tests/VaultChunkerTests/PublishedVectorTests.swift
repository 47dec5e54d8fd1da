import Testing

@testable import VaultChunker

/// The test vectors fastcdc-rs publishes for its `v2020` module
/// (`src/v2020/mod.rs`, `mod tests`): chunk lengths and gear hashes of
/// SekienAkashita.jpg, and of 10 KiB of zeros.
@Suite("fastcdc-rs v2020 published vectors")
struct PublishedVectorTests {
    /// One published vector set.
    struct VectorSet: CustomTestStringConvertible, Sendable {
        var name: String
        var minSize: Int
        var avgSize: Int
        var maxSize: Int
        var normalization: Int
        /// XORed into every gear value (`with_level_and_seed`); 0 for none.
        var seed: UInt64
        /// (hash, length) per chunk, in order.
        var chunks: [(hash: UInt64, length: Int)]

        var testDescription: String { name }
    }

    static let sekienSets: [VectorSet] = [
        VectorSet(
            name: "test_cut_sekien_16k_chunks", minSize: 4096, avgSize: 16384, maxSize: 65535,
            normalization: 1, seed: 0,
            chunks: [
                (17_968_276_318_003_433_923, 21325),
                (8_197_189_939_299_398_838, 17140),
                (13_019_990_849_178_155_730, 28084),
                (4_509_236_223_063_678_303, 18217),
                (2_504_464_741_100_432_583, 24700),
            ]),
        VectorSet(
            name: "test_cut_sekien_16k_chunks_seed_666", minSize: 4096, avgSize: 16384,
            maxSize: 65535, normalization: 1, seed: 666,
            chunks: [
                (9_312_357_714_466_240_148, 10605),
                (226_910_853_333_574_584, 55745),
                (12_271_755_243_986_371_352, 11346),
                (14_153_975_939_352_546_047, 5883),
                (5_890_158_701_071_314_778, 11586),
                (8_981_594_897_574_481_255, 14301),
            ]),
        VectorSet(
            name: "test_cut_sekien_32k_chunks", minSize: 8192, avgSize: 32768, maxSize: 131_072,
            normalization: 1, seed: 0,
            chunks: [
                (15_733_367_461_443_853_673, 66549),
                (6_321_136_627_705_800_457, 42917),
            ]),
        VectorSet(
            name: "test_cut_sekien_64k_chunks", minSize: 16384, avgSize: 65536, maxSize: 262_144,
            normalization: 1, seed: 0,
            chunks: [(2_504_464_741_100_432_583, 109_466)]),
        VectorSet(
            name: "test_cut_sekien_16k_nc_0", minSize: 4096, avgSize: 16384, maxSize: 65535,
            normalization: 0, seed: 0,
            chunks: [
                (443_122_261_039_895_162, 6634),
                (15_733_367_461_443_853_673, 59915),
                (10_460_176_299_449_652_894, 25597),
                (6_197_802_202_431_009_942, 5237),
                (6_321_136_627_705_800_457, 12083),
            ]),
        VectorSet(
            name: "test_cut_sekien_16k_nc_3", minSize: 8192, avgSize: 16384, maxSize: 32768,
            normalization: 3, seed: 0,
            chunks: [
                (10_718_006_254_707_412_376, 17350),
                (13_104_072_099_671_895_560, 19911),
                (12_322_483_109_039_221_194, 17426),
                (16_009_206_469_796_846_404, 17519),
                (2_473_608_525_189_754_172, 19940),
                (2_504_464_741_100_432_583, 17320),
            ]),
    ]

    /// The chunker a vector set describes; a seed becomes a custom table.
    static func chunker(for set: VectorSet) throws -> FastCDC {
        let gear =
            set.seed == 0
            ? GearTable.fastCDC
            : try GearTable(values: GearTable.fastCDC.values.map { $0 ^ set.seed })
        return try FastCDC.make(
            set.minSize, set.avgSize, set.maxSize, normalization: set.normalization, gear: gear)
    }

    /// The published chunks with their offsets.
    static func expected(_ set: VectorSet) -> [ExpectedChunk] {
        var offset = 0
        return set.chunks.map { chunk in
            defer { offset += chunk.length }
            return ExpectedChunk(offset: offset, length: chunk.length, hash: chunk.hash)
        }
    }

    @Test("cut(in:) gives the published lengths and hashes", arguments: sekienSets)
    func cutMatches(set: VectorSet) throws {
        let image = try TestFiles.sekien()
        let chunker = try Self.chunker(for: set)
        #expect(chunker.expectedChunks(of: image) == Self.expected(set))
    }

    @Test("chunks(of:) and ChunkStream give the published boundaries", arguments: sekienSets)
    func streamMatches(set: VectorSet) throws {
        let image = try TestFiles.sekien()
        let chunker = try Self.chunker(for: set)
        let ranges = Self.expected(set).map { $0.offset..<($0.offset + $0.length) }
        #expect(chunker.chunks(of: image) == ranges)
        for readSize in [1, 4093, 1 << 20] {
            #expect(try streamRanges(of: image, chunker: chunker, readSize: readSize) == ranges)
        }
        #expect(try streamRanges(of: image, chunker: chunker, readLimit: { _ in 1000 }) == ranges)
    }

    @Test("the plain transcription of v2020 cut gives the published vectors", arguments: sekienSets)
    func referenceMatches(set: VectorSet) throws {
        let image = try TestFiles.sekien()
        let reference = ReferenceFastCDC(
            minSize: set.minSize, avgSize: set.avgSize, maxSize: set.maxSize,
            level: set.normalization, seed: set.seed)
        #expect(reference.chunks(of: image) == Self.expected(set))
    }

    @Test("test_cut_all_zeros: 10 KiB of zeros is ten 1 KiB chunks at 64/256/1024")
    func allZeros() throws {
        let zeros = [UInt8](repeating: 0, count: 10240)
        let chunker = try FastCDC.make(64, 256, 1024)
        let expected = (0..<10).map {
            ExpectedChunk(offset: $0 * 1024, length: 1024, hash: 14_169_102_344_523_991_076)
        }
        #expect(chunker.expectedChunks(of: zeros) == expected)
        #expect(try streamRanges(of: zeros, chunker: chunker, readSize: 100) == expected.map {
            $0.offset..<($0.offset + $0.length)
        })
        #expect(ReferenceFastCDC(minSize: 64, avgSize: 256, maxSize: 1024).chunks(of: zeros) == expected)
    }

    @Test("test_masks: mask bits are round(log2(avg)) -/+ the normalization level")
    func masks() throws {
        let masks = ReferenceFastCDC.masks
        let small = try FastCDC.make(64, 256, 1024)
        #expect(small.looseMask == masks[7] && small.strictMask == masks[9])
        let middle = try FastCDC.make(8192, 16384, 32768)
        #expect(middle.looseMask == masks[13] && middle.strictMask == masks[15])
        let large = try FastCDC.make(1_048_576, 4_194_304, 16_777_216)
        #expect(large.looseMask == masks[21] && large.strictMask == masks[23])
        #expect(ChunkMasks.byBits == masks)
    }

    @Test("test_logarithm2: round(log2(x)) at the published points")
    func logarithm2() {
        let published: [(Int, Int)] = [
            (1, 0), (2, 1), (3, 2), (5, 2), (6, 3), (11, 3), (12, 4), (19, 4), (64, 6),
            (128, 7), (256, 8), (512, 9), (1024, 10), (16383, 14), (16384, 14), (16385, 14),
            (32767, 15), (32768, 15), (32769, 15), (65535, 16), (65536, 16), (65537, 16),
            (1_048_575, 20), (1_048_576, 20), (1_048_577, 20), (4_194_303, 22), (4_194_304, 22),
            (4_194_305, 22), (16_777_215, 24), (16_777_216, 24), (16_777_217, 24),
        ]
        for (value, bits) in published {
            #expect(ChunkMasks.roundedLog2(value) == bits, "log2(\(value))")
        }
    }
}
