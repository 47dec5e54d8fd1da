import Foundation
import Testing
import VaultCodecs
@testable import VaultOperations
import VaultRepository

/// `verify --read-data` reads a pack a window at a time (issue 18: memory
/// per pack in flight is a window, not the pack).
@Suite("Verify: reading packs in windows")
struct VerifyPackReadPlanTests {
    private static func blob(_ number: Int, offset: Int, length: Int) -> IndexFile.Blob {
        IndexFile.Blob(id: Digest256(words: (UInt64(number), 0, 0, 0)), type: .data, offset: UInt32(offset), length: UInt32(length), rawLength: UInt32(length))
    }

    /// Blobs laid end to end from offset 0, then a header of 100 bytes.
    private static func pack(lengths: [Int]) -> (blobs: [IndexFile.Blob], size: Int64) {
        var offset = 0
        var blobs: [IndexFile.Blob] = []
        for (number, length) in lengths.enumerated() {
            blobs.append(blob(number, offset: offset, length: length))
            offset += length
        }
        return (blobs, Int64(offset + 100))
    }

    /// The plan's promises: windows are consecutive and cover the pack
    /// exactly; every blob inside the pack is wholly in the window it is listed in.
    private static func checkPromises(_ plan: VerifyPackReadPlan, blobs: [IndexFile.Blob], size: Int64) {
        var position: Int64 = 0
        var listed: [Int] = []
        for window in plan.windows {
            #expect(window.range.lowerBound == position)
            #expect(!window.range.isEmpty)
            position = window.range.upperBound
            for index in window.blobs {
                listed.append(index)
                let blob = blobs[index]
                let end = Int64(blob.offset) + Int64(blob.length)
                #expect(window.range.contains(Int64(blob.offset)))
                if end <= size {
                    #expect(end <= window.range.upperBound, "blob \(index) ends past its window \(window.range)")
                }
            }
        }
        #expect(position == size)
        #expect(listed == Array(blobs.indices.filter { Int64(blobs[$0].offset) < size }))
    }

    @Test("windows cover the pack exactly, each blob whole in one window, none larger than the window size plus one blob",
          arguments: [Int64(1), 100, 4096, 50_000, 1 << 40])
    func promises(windowSize: Int64) {
        let lengths = (0..<200).map { 1 + ($0 * 7919) % 3000 }
        let (blobs, size) = Self.pack(lengths: lengths)
        let plan = VerifyPackReadPlan(blobs: blobs, packSize: size, windowSize: windowSize)
        Self.checkPromises(plan, blobs: blobs, size: size)
        let largest = Int64(lengths.max() ?? 0)
        for window in plan.windows {
            #expect(Int64(window.range.count) <= windowSize + largest)
        }
        if windowSize == 1 {
            #expect(plan.windows.count == blobs.count + 100, "one window per blob, then one per header byte")
        }
        if windowSize >= size {
            #expect(plan.windows == [.init(range: 0..<size, blobs: 0..<blobs.count)])
        }
    }

    @Test("the default window keeps a 16 MiB pack of small blobs to about 4 MiB at a time")
    func defaultWindow() {
        let (blobs, size) = Self.pack(lengths: Array(repeating: 1500, count: 11_000))
        let plan = VerifyPackReadPlan(blobs: blobs, packSize: size)
        Self.checkPromises(plan, blobs: blobs, size: size)
        #expect(plan.windows.count == 4)
        #expect(plan.windows.allSatisfy { $0.range.count <= (4 << 20) + 1500 })
    }

    @Test("an empty pack has no windows")
    func emptyPack() {
        #expect(VerifyPackReadPlan(blobs: [], packSize: 0).windows.isEmpty)
    }

    @Test("a truncated pack: blobs past its end do not stretch a window past it, and blobs starting past it are not listed")
    func truncated() {
        let (blobs, _) = Self.pack(lengths: [1000, 1000, 1000, 1000])
        let plan = VerifyPackReadPlan(blobs: blobs, packSize: 2500, windowSize: 600)
        Self.checkPromises(plan, blobs: blobs, size: 2500)
        #expect(plan.windows.last?.range.upperBound == 2500)
        #expect(plan.windows.flatMap { Array($0.blobs) } == [0, 1, 2])
    }

    @Test("overlapping blobs (a forged index): each is still whole in its window")
    func overlapping() {
        let blobs = [Self.blob(0, offset: 0, length: 500), Self.blob(1, offset: 100, length: 2000),
                     Self.blob(2, offset: 1500, length: 100), Self.blob(3, offset: 1550, length: 3000)]
        let plan = VerifyPackReadPlan(blobs: blobs, packSize: 5000, windowSize: 200)
        Self.checkPromises(plan, blobs: blobs, size: 5000)
        #expect(plan.windows.first?.range == 0..<4550)
    }

    @Test("verify --read-data reports the same damage whatever the window size", arguments: [true, false])
    func sameReportAnyWindow(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        var packs: [PackID] = []
        for pack in try await fixture.dataPacks() where packs.count < 2 {
            if try await fixture.blobs(inPack: pack).count >= 3 {
                packs.append(pack)
            }
        }
        try #require(packs.count == 2)
        var damaged: [Digest256] = []
        for pack in packs {
            let blobs = try await fixture.blobs(inPack: pack)
            // One blob in the middle and the last one: in different windows when they are small.
            for blob in [blobs[blobs.count / 2].id, blobs[blobs.count - 1].id] {
                try await fixture.damage(.data(blob))
                damaged.append(blob)
            }
        }
        var packBytes: Int64 = 0
        for pack in try await fixture.packs() {
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path(ofPack: pack))
            packBytes += try #require((attributes[.size] as? NSNumber)?.int64Value)
        }

        func verify(window: Int64) async throws -> VerifyReport {
            var verifier = RepositoryVerifier(repository: fixture.repository, readData: .all, maximumConcurrentPacks: 3)
            verifier.readWindowSize = window
            return try await verifier.run()
        }
        let whole = try await verify(window: 1 << 40)
        #expect(whole.findingSummaries.filter { $0.hasPrefix("blob-damaged") }.count == damaged.count)
        #expect(whole.findingSummaries.filter { $0.hasPrefix("pack-hash-mismatch") }.count == packs.count)
        #expect(whole.statistics.bytesRead == packBytes)
        for window: Int64 in [1, 20_000, 300_000] {
            let report = try await verify(window: window)
            #expect(report.findingSummaries == whole.findingSummaries, "window \(window)")
            #expect(report.affectedPaths == whole.affectedPaths, "window \(window)")
            #expect(report.statistics.bytesRead == packBytes, "window \(window)")
            #expect(report.statistics.blobsRead == whole.statistics.blobsRead, "window \(window)")
            #expect(report.statistics.packsRead == whole.statistics.packsRead, "window \(window)")
        }
    }

    @Test("a clean repository read in one-byte windows: no findings, every blob decoded")
    func cleanInTinyWindows() async throws {
        let fixture = try await VerifyFixture(encrypted: true)
        var verifier = RepositoryVerifier(repository: fixture.repository, readData: .all, maximumConcurrentPacks: 2)
        verifier.readWindowSize = 1
        let report = try await verifier.run()
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.statistics.blobsRead == (try await fixture.index()).chunks.count)
    }
}
