import Testing
import VaultTestSupport
@testable import VaultOperations

/// Restore holds no more than its byte budget of file contents in flight
/// (issue 18, part 2): pack ranges being read and decoded, and decoded
/// chunks the lanes have not written; a read larger than the budget
/// proceeds alone instead of waiting forever.
@Suite("restore: in-flight byte budget")
struct RestoreInFlightBudgetTests {
    @Test("the budget admits what fits, and anything when nothing is in flight")
    func admission() {
        var budget = RestoreInFlightBudget(limit: 100)
        #expect(budget.admits(1_000))
        budget.take(60)
        #expect(budget.admits(40))
        #expect(!budget.admits(41))
        budget.take(40)
        #expect(!budget.admits(1))
        budget.give(100)
        #expect(budget.used == 0)
        #expect(budget.admits(1_000))
        budget.take(1_000)
        #expect(budget.peak == 1_000)
        #expect(!budget.admits(1))
        #expect(RestoreInFlightBudget(limit: 0).limit == 1)
        #expect(RestoreInFlightBudget.standardLimit(processors: 1) == 16 << 20)
        #expect(RestoreInFlightBudget.standardLimit(processors: 8) == 64 << 20)
    }

    /// A tree of 32 files of 200–600 KiB, half random and half compressible:
    /// about 80 chunks of the fixture's 16–256 KiB in several packs.
    static func makeTree(_ fixture: RestoreFixture) throws -> String {
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        for directory in 0..<4 {
            try TestFiles.makeDirectory(TestFiles.join(source, "d\(directory)"))
        }
        for index in 0..<32 {
            let size = 200 * 1024 + index * 13 * 1024
            var contents = TestFiles.random(size, seed: UInt64(index) + 1)
            if index % 2 == 1 {
                for position in stride(from: 0, to: size, by: 3) { contents[position] = 0x41 }
            }
            try TestFiles.write(TestFiles.join(TestFiles.bytes(source), TestFiles.bytes("d\(index % 4)/f\(index)")), contents)
        }
        return source
    }

    static func restore(_ fixture: RestoreFixture, _ source: String, budget: Int?, into name: String) async throws -> RestoreResult {
        let target = fixture.scratch.appending(name)
        let result = try await fixture.restore(into: target) { $0.inFlightBudget = budget }
        #expect(result.problems == [])
        #expect(result.summary.filesRestored == 32)
        #expect(try TreeComparison().differences(TestFiles.bytes(source), TestFiles.bytes(target) + TestFiles.bytes(source)) == [])
        return result
    }

    @Test("with a 2 MiB budget, at most 2 MiB (or one read) is in flight; a large budget lets more in")
    func budgetHolds() async throws {
        let fixture = try await RestoreFixture()
        let source = try Self.makeTree(fixture)
        try await fixture.backup([source])

        let limited = try await Self.restore(fixture, source, budget: 2 << 20, into: "limited")
        #expect(limited.peakInFlightBytes > 0)
        #expect(limited.peakInFlightBytes <= max(2 << 20, limited.largestReadCost), "peak \(limited.peakInFlightBytes)")

        // Without the limit the same restore holds more: the 2 MiB above was
        // what held it back, not the size of the data.
        let open = try await Self.restore(fixture, source, budget: 1 << 40, into: "open")
        #expect(open.peakInFlightBytes > 2 << 20, "peak \(open.peakInFlightBytes)")
    }

    @Test("a budget smaller than one chunk: every read proceeds alone, the restore completes")
    func budgetBelowOneChunk() async throws {
        let fixture = try await RestoreFixture()
        let source = try Self.makeTree(fixture)
        try await fixture.backup([source])

        let result = try await Self.restore(fixture, source, budget: 1, into: "target")
        #expect(result.largestReadCost > 1)
        #expect(result.peakInFlightBytes <= result.largestReadCost, "peak \(result.peakInFlightBytes)")
    }
}
