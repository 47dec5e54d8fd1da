import Testing
import VaultCodecs
import VaultRepository

@testable import VaultOperations

/// ``PrunePlan`` as a pure function of (used blobs, index, pack listing).
@Suite struct PrunePlanTests {
    static func digest(_ value: UInt8, _ salt: UInt8 = 0) -> Digest256 {
        var bytes = [UInt8](repeating: salt, count: 32)
        bytes[31] = value
        return Digest256(bytes: bytes)!
    }

    static func pack(_ number: UInt8) -> PackID { PackID(digest(number, 0xEE)) }

    /// A pack record holding blobs of the given lengths, laid end to end, plus a 100-byte header.
    static func record(_ number: UInt8, _ blobs: [(type: BlobType, id: UInt8, length: UInt32)]) -> IndexFile.Pack {
        var offset: UInt32 = 0
        var records: [IndexFile.Blob] = []
        for blob in blobs {
            records.append(IndexFile.Blob(id: digest(blob.id), type: blob.type, offset: offset, length: blob.length, rawLength: blob.length))
            offset += blob.length
        }
        return IndexFile.Pack(id: pack(number), size: Int64(offset) + 100, blobs: records)
    }

    static func listing(_ packs: [IndexFile.Pack]) -> [PackID: PrunePlan.StoredPack] {
        Dictionary(uniqueKeysWithValues: packs.map { ($0.id, PrunePlan.StoredPack(size: $0.size)) })
    }

    static func used(_ ids: [UInt8], type: BlobType = .data) -> Set<BlobKey> {
        Set(ids.map { BlobKey(type, digest($0)) })
    }

    static let now = Timestamp(rfc3339: "2026-11-29T12:00:00Z")!

    static func plan(
        used: Set<BlobKey>, packs: [IndexFile.Pack], stored: [PackID: PrunePlan.StoredPack]? = nil,
        damage: PrunePlan.Damage = .init(), configure: (inout PruneOptions) -> Void = { _ in }
    ) -> PrunePlan {
        var options = PruneOptions()
        configure(&options)
        return PrunePlan(used: used, indexedPacks: packs, storedPacks: stored ?? listing(packs), damage: damage, options: options, now: now)
    }

    @Test func packsWithoutUsedBlobsAreDeletedAndFullyUsedOnesKept() {
        let a = Self.record(1, [(.data, 1, 1000), (.data, 2, 1000)])
        let b = Self.record(2, [(.data, 3, 1000), (.tree, 4, 500)])
        let plan = Self.plan(used: Self.used([1, 2]), packs: [a, b])
        #expect(plan.delete == [b.id: b.size])
        #expect(plan.keep.map(\.id) == [a.id])
        #expect(plan.repack.isEmpty)
        #expect(plan.usedBytes == 2000)
        #expect(plan.changesIndex)
        #expect(plan.estimatedSizeAfter == a.size)
    }

    @Test func nothingToDoIsAnEmptyPlan() {
        let a = Self.record(1, [(.data, 1, 1000)])
        let plan = Self.plan(used: Self.used([1]), packs: [a])
        #expect(plan.isEmpty)
        #expect(!plan.changesIndex)
        #expect(plan.estimatedSizeAfter == plan.sizeBefore)
    }

    @Test func partlyUsedPacksAreRepackedBeyondMaxUnused() throws {
        // 1000 used, 3000 unused in pack 1; a fully used pack 2 of 10,000.
        let a = Self.record(1, [(.data, 1, 1000), (.data, 2, 3000)])
        let b = Self.record(2, [(.data, 3, 10000)])
        let plan = Self.plan(used: Self.used([1, 3]), packs: [a, b])
        let repack = try #require(plan.repack.first)
        #expect(plan.repack.count == 1)
        #expect(repack.pack == a.id)
        #expect(repack.blobs.map(\.id) == [Self.digest(1)])
        #expect(plan.keep.map(\.id) == [b.id])
        #expect(plan.unusedBytesAfter == 0)
        #expect(plan.copiedBytes == 1000)
        #expect(plan.estimatedSizeAfter == a.size + b.size - a.size + 1000)
    }

    @Test func unusedSpaceWithinTheLimitStays() {
        // 300 unused of 10,300: under 5% of the repository.
        let a = Self.record(1, [(.data, 1, 10000), (.data, 2, 300)])
        #expect(Self.plan(used: Self.used([1]), packs: [a]).repack.isEmpty)
        // 600 unused: 600 > 10,000 × 5/95 = 526.
        let b = Self.record(1, [(.data, 1, 10000), (.data, 2, 600)])
        #expect(Self.plan(used: Self.used([1]), packs: [b]).repack.count == 1)
        #expect(Self.plan(used: Self.used([1]), packs: [b]) { $0.maximumUnused = .unlimited }.repack.isEmpty)
        #expect(Self.plan(used: Self.used([1]), packs: [b]) { $0.maximumUnused = .bytes(600) }.repack.isEmpty)
        #expect(Self.plan(used: Self.used([1]), packs: [b]) { $0.maximumUnused = .bytes(599) }.repack.count == 1)
        #expect(Self.plan(used: Self.used([1]), packs: [b]) { $0.maximumUnused = .percent(0) }.repack.count == 1)
    }

    @Test func mostWastefulPacksAreRepackedFirstAndOnlyWhileNeeded() {
        // Pack 1 is 90% unused, pack 2 50%; repacking pack 1 alone brings the waste under 50%.
        let a = Self.record(1, [(.data, 1, 100), (.data, 2, 900)])
        let b = Self.record(2, [(.data, 3, 500), (.data, 4, 500)])
        let plan = Self.plan(used: Self.used([1, 3]), packs: [b, a]) { $0.maximumUnused = .percent(50) }
        #expect(plan.repack.map(\.pack) == [a.id])
        #expect(plan.keep.map(\.id) == [b.id])
        #expect(plan.unusedBytesAfter == 500)
    }

    @Test func repackBudgetIsRespected() {
        let a = Self.record(1, [(.data, 1, 100), (.data, 2, 900)])
        let b = Self.record(2, [(.data, 3, 500), (.data, 4, 500)])
        let plan = Self.plan(used: Self.used([1, 3]), packs: [a, b]) { $0.maximumRepackSize = 400 }
        #expect(plan.repack.map(\.pack) == [a.id])
        #expect(plan.keep.map(\.id) == [b.id])
        #expect(Self.plan(used: Self.used([1, 3]), packs: [a, b]) { $0.maximumRepackSize = 0 }.repack.isEmpty)
    }

    @Test func aBlobStoredTwiceKeepsOneCopy() {
        // Blob 1 is in both packs; pack 2 holds more used data, so its copy stays and pack 1 goes.
        let a = Self.record(1, [(.data, 1, 1000)])
        let b = Self.record(2, [(.data, 1, 1000), (.data, 2, 5000)])
        let plan = Self.plan(used: Self.used([1, 2]), packs: [a, b])
        #expect(plan.delete == [a.id: a.size])
        #expect(plan.keep.map(\.id) == [b.id])
        #expect(plan.usedBytes == 6000)
        // Equal weight: the smaller pack ID keeps its copy.
        let c = Self.record(3, [(.data, 1, 1000)])
        let tie = Self.plan(used: Self.used([1]), packs: [c, a])
        #expect(tie.keep.map(\.id) == [a.id])
        #expect(tie.delete == [c.id: c.size])
    }

    @Test func blobsAreKeyedByTypeAndID() {
        // A data blob and a tree blob share ID 7: only the tree is used.
        let a = Self.record(1, [(.data, 7, 1000)])
        let b = Self.record(2, [(.tree, 7, 1000)])
        let plan = Self.plan(used: Self.used([7], type: .tree), packs: [a, b])
        #expect(plan.delete == [a.id: a.size])
        #expect(plan.keep.map(\.id) == [b.id])
    }

    @Test func missingAndDamagedPacks() {
        let missingUsed = Self.record(1, [(.data, 1, 1000)])
        let missingUnused = Self.record(2, [(.data, 2, 1000)])
        let wrongSizeUnused = Self.record(3, [(.data, 3, 1000)])
        let wrongSizeUsed = Self.record(4, [(.data, 4, 1000)])
        var stored = Self.listing([wrongSizeUnused, wrongSizeUsed])
        stored[wrongSizeUnused.id]?.size = 5
        stored[wrongSizeUsed.id]?.size = 5
        let plan = Self.plan(used: Self.used([1, 4]), packs: [missingUsed, missingUnused, wrongSizeUnused, wrongSizeUsed], stored: stored)
        #expect(Set(plan.damagedKept) == [missingUsed.id, wrongSizeUsed.id])
        #expect(Set(plan.keep.map(\.id)) == [missingUsed.id, wrongSizeUsed.id])
        #expect(plan.dropMissing == [missingUnused.id])
        #expect(plan.delete == [wrongSizeUnused.id: 5])
    }

    @Test func aUsedBlobPrefersThePresentCopy() {
        let missing = Self.record(1, [(.data, 1, 1000), (.data, 2, 1000)])
        let present = Self.record(2, [(.data, 1, 1000)])
        let plan = Self.plan(used: Self.used([1]), packs: [missing, present], stored: Self.listing([present]))
        #expect(plan.keep.map(\.id) == [present.id])
        // Nothing used is lost with the missing pack: its record goes.
        #expect(plan.dropMissing == [missing.id])
        #expect(plan.damagedKept.isEmpty)
    }

    @Test func unindexedPacksGoWhenOldOrOfUnknownAge() {
        let a = Self.record(1, [(.data, 1, 1000)])
        var stored = Self.listing([a])
        let old = Self.pack(10), young = Self.pack(11), unknown = Self.pack(12)
        stored[old] = .init(size: 10, modified: Timestamp(nanoseconds: Self.now.nanoseconds - 7200 * 1_000_000_000))
        stored[young] = .init(size: 20, modified: Timestamp(nanoseconds: Self.now.nanoseconds - 60 * 1_000_000_000))
        stored[unknown] = .init(size: 30)
        let plan = Self.plan(used: Self.used([1]), packs: [a], stored: stored)
        #expect(plan.deleteUnindexed == [old: 10, unknown: 30])
        #expect(plan.keepUnindexed == [young: 20])
        #expect(plan.deletedBytes == 40)
        #expect(!plan.changesIndex)
        #expect(!plan.isEmpty)

        // A damaged repository keeps them: a missing blob might be in one.
        var damage = PrunePlan.Damage()
        damage.lostBlobs = Self.used([99])
        let damaged = Self.plan(used: Self.used([1]), packs: [a], stored: stored, damage: damage)
        #expect(damaged.deleteUnindexed.isEmpty)
        #expect(damaged.keepUnindexed.count == 3)
    }

    @Test func aPackRecordedTwiceCountsOnce() {
        let a = Self.record(1, [(.data, 1, 1000)])
        let plan = Self.plan(used: Self.used([1]), packs: [a, a], stored: Self.listing([a]))
        #expect(plan.keep.map(\.id) == [a.id])
        #expect(plan.usedBytes == 1000)
    }

    @Test(arguments: [
        ("5%", PruneOptions.MaximumUnused.percent(5)), ("12.5%", .percent(12.5)), ("0", .percent(0)), ("unlimited", .unlimited),
        ("100M", .bytes(100 << 20)),
    ])
    func maxUnusedParses(_ text: String, _ expected: PruneOptions.MaximumUnused) {
        #expect(PruneOptions.MaximumUnused(text, parseSize: { $0 == "100M" ? 100 << 20 : nil }) == expected)
    }

    @Test(arguments: ["", "-5%", "101%", "lots", "5%%"])
    func badMaxUnusedIsRejected(_ text: String) {
        #expect(PruneOptions.MaximumUnused(text, parseSize: { _ in nil }) == nil)
    }
}
