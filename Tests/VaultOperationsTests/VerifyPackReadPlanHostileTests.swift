import Testing
import VaultCodecs
@testable import VaultOperations
import VaultRepository

/// `VerifyPackReadPlan` on sizes the storage claims and orders a forged
/// index makes (found while writing the `pack-read-plan` fuzz target).
@Suite("Verify: read windows for hostile pack sizes")
struct VerifyPackReadPlanHostileTests {
    private static func blob(_ number: Int, offset: UInt32, length: UInt32) -> IndexFile.Blob {
        IndexFile.Blob(id: Digest256(words: (UInt64(number), 0, 0, 0)), type: .data, offset: offset, length: length, rawLength: length)
    }

    @Test("a pack the storage claims is 2^63-1 bytes: the first windows come at once, without the other 2^63 being made",
          arguments: [Int64(1), VerifyPackReadPlan.defaultWindowSize])
    func hugeClaimedSize(windowSize: Int64) {
        // The eager plan made every window before the first read (which fails) could stop it.
        let blobs = [Self.blob(0, offset: 0, length: 10), Self.blob(1, offset: 5, length: 100)]
        let plan = VerifyPackReadPlan(blobs: blobs, packSize: .max, windowSize: windowSize)
        let first = Array(plan.prefix(3))
        #expect(first.count == 3)
        #expect(first.first == .init(range: 0..<max(105, windowSize), blobs: 0..<2))
        #expect(first[1].range.lowerBound == first[0].range.upperBound)
        #expect(first[2].range.count == Int(windowSize))
        #expect(first[1].blobs.isEmpty && first[2].blobs.isEmpty)
    }

    @Test("sorting for the plan orders by offset and keeps index order at the same offset (a forged index)")
    func sortIsStable() {
        var blobs = (0..<60).map { Self.blob($0, offset: UInt32(($0 * 7) % 5) * 100, length: 10) }
        let expected = (0..<5).flatMap { offset in blobs.filter { $0.offset == UInt32(offset * 100) } }
        VerifyPackReadPlan.sortForPlanning(&blobs)
        #expect(blobs == expected)
    }
}
