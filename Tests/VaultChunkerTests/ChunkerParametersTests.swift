import Foundation
import Testing

@testable import VaultChunker

@Suite("ChunkerParameters and validation")
struct ChunkerParametersTests {
    @Test("the repository default is 512 KiB / 1 MiB / 8 MiB")
    func repositoryDefault() {
        let defaults = ChunkerParameters.repositoryDefault
        #expect(defaults.minSize == 524_288)
        #expect(defaults.avgSize == 1_048_576)
        #expect(defaults.maxSize == 8_388_608)
        #expect(
            (try? ChunkerParameters(minSize: 524_288, avgSize: 1_048_576, maxSize: 8_388_608))
                == defaults)
    }

    @Test("the limits of fastcdc-rs are accepted")
    func limitsAccepted() throws {
        _ = try ChunkerParameters(minSize: 64, avgSize: 256, maxSize: 1024)
        _ = try ChunkerParameters(minSize: 1 << 20, avgSize: 4 << 20, maxSize: 16 << 20)
        _ = try ChunkerParameters(minSize: 1024, avgSize: 1024, maxSize: 1024)
    }

    static let rejected: [(Int, Int, Int, ChunkerError.Code, [String])] = [
        (63, 256, 1024, .minSizeOutOfRange, ["minimum", "63", "64...1048576"]),
        (1_048_577, 2 << 20, 4 << 20, .minSizeOutOfRange, ["minimum", "1048577", "64...1048576"]),
        (64, 255, 1024, .avgSizeOutOfRange, ["average", "255", "256...4194304"]),
        (64, 4_194_305, 8 << 20, .avgSizeOutOfRange, ["average", "4194305", "256...4194304"]),
        (64, 256, 1023, .maxSizeOutOfRange, ["maximum", "1023", "1024...16777216"]),
        (64, 256, 16_777_217, .maxSizeOutOfRange, ["maximum", "16777217", "1024...16777216"]),
        (4096, 2048, 65536, .sizesOutOfOrder, ["minimum 4096", "average 2048"]),
        (64, 8192, 4096, .sizesOutOfOrder, ["average 8192", "maximum 4096"]),
        (-1, 256, 1024, .minSizeOutOfRange, ["-1"]),
    ]

    @Test("out-of-range and unordered sizes throw a code and a message naming the value")
    func rejectedSizes() {
        for (minSize, avgSize, maxSize, code, fragments) in Self.rejected {
            do {
                _ = try ChunkerParameters(minSize: minSize, avgSize: avgSize, maxSize: maxSize)
                Issue.record("accepted \(minSize)/\(avgSize)/\(maxSize)")
            } catch {
                #expect(error.code == code)
                #expect(!error.message.contains("\n"))
                for fragment in fragments {
                    #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)")
                }
            }
        }
    }

    @Test("normalization outside 0...3 throws")
    func normalization() throws {
        for level in 0...3 {
            #expect(try FastCDC(parameters: .repositoryDefault, normalization: level).normalization == level)
        }
        for level in [-1, 4] {
            #expect {
                _ = try FastCDC(parameters: .repositoryDefault, normalization: level)
            } throws: { error in
                let error = error as? ChunkerError
                return error?.code == .normalizationOutOfRange
                    && error?.message.contains("\(level)") == true
                    && error?.message.contains("0...3") == true
            }
        }
    }

    @Test("round(log2(avg)) computed in integers equals floating point for every allowed average")
    func roundedLog2() {
        var mismatches = 0
        for value in ChunkerParameters.avgSizeRange
        where ChunkMasks.roundedLog2(value) != Int(log2(Double(value)).rounded()) {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }
}
