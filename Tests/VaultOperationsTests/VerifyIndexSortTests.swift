import Foundation
import Testing
import VaultCodecs
@testable import VaultOperations
import VaultRepository

/// `VerifyIndex` sorts each pack's blob records in place, taking them out
/// of the decoded index file, rather than keeping a sorted copy beside
/// them (issue 18): what verify finds must not change.
@Suite("Verify: the index's blob lists, sorted in place")
struct VerifyIndexSortTests {
    /// A repository whose fullest data pack a second index file lists
    /// again, in reverse order and changed by `change`.
    ///
    /// - Returns: The fixture, the pack, its size and its blobs as the first index lists them.
    static func listFullestPackAgain(
        _ change: ([IndexFile.Blob]) -> [IndexFile.Blob]
    ) async throws -> (VerifyFixture, PackID, Int64, [(id: Digest256, location: BlobLocation)]) {
        let fixture = try await VerifyFixture(encrypted: false)
        let pack = try await fixture.fullestDataPack()
        let blobs = try await fixture.blobs(inPack: pack)
        try #require(blobs.count >= 3)
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path(ofPack: pack))
        let size = try #require((attributes[.size] as? NSNumber)?.int64Value)
        let reversed = blobs.reversed().map {
            IndexFile.Blob(id: $0.id, type: $0.location.type, offset: $0.location.offset, length: $0.location.length, rawLength: $0.location.rawLength)
        }
        _ = try await fixture.repository.saveIndex(IndexFile(packs: [IndexFile.Pack(id: pack, size: size, blobs: change(reversed))]))
        return (fixture, pack, size, blobs)
    }

    @Test("a pack that a second index file lists in reverse order is sorted by offset, is no conflict, and reads clean")
    func reversedPackIsTheSamePack() async throws {
        let (fixture, pack, size, blobs) = try await Self.listFullestPackAgain { $0 }

        var report = VerifyReport()
        let index = try await VerifyIndex.load(from: fixture.repository, into: &report)
        #expect(report.findings.isEmpty, "\(report.findings)")
        let loaded = try #require(index.packs[pack])
        #expect(loaded.size == size)
        #expect(loaded.blobs.map(\.offset) == blobs.map(\.location.offset))
        #expect(loaded.blobs.map(\.id) == blobs.map(\.id))
        #expect(index.copyCount(of: BlobKey(.data, blobs[0].id)) == 1)

        let full = try await RepositoryVerifier(repository: fixture.repository, readData: .all, maximumConcurrentPacks: 2).run()
        #expect(full.findings.isEmpty, "\(full.findings)")
        #expect(full.statistics.blobsRead == (try await fixture.index()).chunks.count)
    }

    @Test("a second index file that lists the pack with one blob moved is still a conflict")
    func changedPackIsAConflict() async throws {
        let (fixture, _, _, _) = try await Self.listFullestPackAgain { blobs in
            var changed = blobs
            changed[0].offset += 1
            return changed
        }

        var report = VerifyReport()
        _ = try await VerifyIndex.load(from: fixture.repository, into: &report)
        #expect(report.findingSummaries.count(where: { $0.hasPrefix("index-conflict") }) == 1, "\(report.findingSummaries)")
    }
}
