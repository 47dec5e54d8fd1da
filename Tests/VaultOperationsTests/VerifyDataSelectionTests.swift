import Foundation
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository

/// `--read-data-subset`: parsing, and slices that cover every pack exactly once.
@Suite("verify: read-data subsets", .timeLimit(.minutes(5)))
struct VerifyDataSelectionTests {
    @Test("K/M and N% parse; everything else is refused with a message that says what is accepted")
    func parsing() throws {
        #expect(try VerifyDataSelection(parsing: "1/7") == .slice(1, of: 7))
        #expect(try VerifyDataSelection(parsing: "7/7") == .slice(7, of: 7))
        #expect(try VerifyDataSelection(parsing: "1/1") == .all)
        #expect(try VerifyDataSelection(parsing: "100%") == .all)
        #expect(try VerifyDataSelection(parsing: "12.5%") == .percent(12.5))
        for text in ["0/7", "8/7", "1/0", "-1/3", "1/", "/3", "1/2/3", "0%", "101%", "-5%", "nan%", "%", "abc", ""] {
            let error = #expect(throws: RepositoryError.self, "\(text)") { try VerifyDataSelection(parsing: text) }
            #expect(error?.message == "invalid subset '\(text)': give N% (0 < N ≤ 100) or K/M (1 ≤ K ≤ M)")
        }
    }

    @Test("slices 1/M … M/M select every ID exactly once; percentages grow monotonically")
    func slicesPartitionIDs() {
        let ids = (0..<2000).map { PackID(SHA256Hasher.hash(Array("pack \($0)".utf8))) }
        for count in [2, 3, 7, 16] {
            for id in ids {
                let selecting = (1...count).filter { VerifyDataSelection.slice($0, of: count).includes(id) }
                #expect(selecting.count == 1, "\(id) in \(selecting) of \(count)")
            }
            // Slices are about equal: none is empty or holds more than twice its share.
            for slice in 1...count {
                let size = ids.filter { VerifyDataSelection.slice(slice, of: count).includes($0) }.count
                #expect(size > 0 && size < 2 * ids.count / count, "slice \(slice)/\(count) holds \(size)")
            }
        }
        var previous: Set<PackID> = []
        for percent in [1.0, 10, 33.3, 50, 99.9] {
            let selected = Set(ids.filter { VerifyDataSelection.percent(percent).includes($0) })
            #expect(selected.isSuperset(of: previous))
            #expect(abs(Double(selected.count) - Double(ids.count) * percent / 100) < Double(ids.count) / 20, "\(percent)%: \(selected.count)")
            previous = selected
        }
        #expect(ids.allSatisfy { VerifyDataSelection.all.includes($0) && !VerifyDataSelection.none.includes($0) })
    }

    @Test("running 1/3, 2/3 and 3/3 reads every pack once, and only the slice holding a damaged pack reports it")
    func slicesCoverTheRepository() async throws {
        let fixture = try await VerifyFixture(encrypted: true)
        let packs = try await fixture.packs()
        let pack = try #require(try await fixture.dataPacks().first)
        let blob = try #require(try await fixture.blobs(inPack: pack).first?.id)
        try await fixture.damage(.data(blob))

        var read = 0
        var reporting: [Int] = []
        for slice in 1...3 {
            let selection = VerifyDataSelection.slice(slice, of: 3)
            let report = try await fixture.verify(selection)
            read += report.statistics.packsRead
            #expect(report.statistics.packsRead == packs.filter(selection.includes).count)
            if report.hasDamage {
                reporting.append(slice)
                #expect(report.findingSummaries == ["pack-hash-mismatch pack \(pack.shortHex)", "blob-damaged chunk \(blob.shortHex) in pack \(pack.shortHex)"])
            }
        }
        #expect(read == packs.count)
        #expect(reporting == [(1...3).first { VerifyDataSelection.slice($0, of: 3).includes(pack) }!])

        let half = try await fixture.verify(.percent(50))
        let again = try await fixture.verify(.percent(50))
        #expect(half.statistics.packsRead == packs.filter(VerifyDataSelection.percent(50).includes).count)
        #expect(again.statistics.packsRead == half.statistics.packsRead)
        #expect(half.hasDamage == VerifyDataSelection.percent(50).includes(pack))
    }
}
