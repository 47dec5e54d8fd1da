import Testing
import VaultTestSupport

@testable import VaultChunker

/// Vectors from `Fixtures/chunker/v2020-pyfastcdc-vectors.txt`, made with
/// pyfastcdc (an independent port of fastcdc-rs v2020 that reproduces the
/// published vectors) for what fastcdc-rs publishes no vectors for: the
/// smallest sizes, normalization 2, odd minimum and window sizes, a seeded
/// table, and the repository default sizes on 24 MiB.
@Suite("pyfastcdc-generated v2020 vectors")
struct GeneratedVectorTests {
    struct VectorSet {
        var name: String
        var input: String
        var minSize: Int
        var avgSize: Int
        var maxSize: Int
        var normalization: Int
        var seed: UInt64
        var chunks: [ExpectedChunk] = []
    }

    static func parse(_ text: String) throws -> [VectorSet] {
        var sets: [VectorSet] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.first == "set" {
                try #require(fields.count == 8, "bad set line: \(line)")
                sets.append(
                    VectorSet(
                        name: fields[1], input: fields[2], minSize: Int(fields[3])!,
                        avgSize: Int(fields[4])!, maxSize: Int(fields[5])!,
                        normalization: Int(fields[6])!,
                        seed: UInt64(fields[7].dropFirst(2), radix: 16)!))
            } else {
                try #require(fields.count == 3 && !sets.isEmpty, "bad chunk line: \(line)")
                sets[sets.count - 1].chunks.append(
                    ExpectedChunk(
                        offset: Int(fields[0])!, length: Int(fields[1])!, hash: UInt64(fields[2])!))
            }
        }
        return sets
    }

    static func input(_ description: String) throws -> [UInt8] {
        if description == "sekien" { return try TestFiles.sekien() }
        let parts = description.split(separator: ":")
        try #require(parts.count == 3 && parts[0] == "splitmix64", "unknown input \(description)")
        return SplitMix64.bytes(seed: UInt64(parts[1])!, count: Int(parts[2])!)
    }

    @Test("FastCDC and ChunkStream reproduce every generated set")
    func generatedSets() throws {
        let sets = try Self.parse(TestFiles.chunkerFixture("v2020-pyfastcdc-vectors.txt"))
        #expect(sets.count == 7)
        for set in sets {
            let data = try Self.input(set.input)
            let gear =
                set.seed == 0
                ? GearTable.fastCDC
                : try GearTable(values: GearTable.fastCDC.values.map { $0 ^ set.seed })
            let chunker = try FastCDC.make(
                set.minSize, set.avgSize, set.maxSize, normalization: set.normalization, gear: gear)
            #expect(!set.chunks.isEmpty)
            #expect(chunker.expectedChunks(of: data) == set.chunks, "set \(set.name)")
            let ranges = set.chunks.map { $0.offset..<($0.offset + $0.length) }
            #expect(
                try streamRanges(of: data, chunker: chunker, readSize: 65521) == ranges,
                "set \(set.name), streamed")
        }
    }
}
