import Testing
import VaultTestSupport
import VaultCodecs
import VaultRepository

extension SplitMix64 {
    /// A random digest.
    fileprivate mutating func digest() -> Digest256 {
        Digest256(words: (next(), next(), next(), next()))
    }

    /// `count` random digests.
    fileprivate mutating func digests(_ count: Int) -> [Digest256] {
        (0..<count).map { _ in digest() }
    }

    /// A random pack ID.
    fileprivate mutating func packID() -> PackID {
        PackID(digest())
    }

    /// `count` random pack IDs.
    fileprivate mutating func packIDs(_ count: Int) -> [PackID] {
        (0..<count).map { _ in packID() }
    }
}

/// The type of test blob `number`: every third one is a tree.
private func blobType(_ number: Int) -> BlobType {
    number % 3 == 0 ? .tree : .data
}

/// The key of test blob `number` with ID `id`.
private func key(_ number: Int, _ id: Digest256) -> BlobKey {
    BlobKey(blobType(number), id)
}

/// A location that encodes `number`, so each blob's location differs.
private func location(_ number: Int, packs: [PackID]) -> BlobLocation {
    BlobLocation(
        pack: packs[number % packs.count],
        type: blobType(number),
        offset: UInt32(truncatingIfNeeded: number &* 17),
        length: UInt32(truncatingIfNeeded: number &+ 1),
        rawLength: UInt32(truncatingIfNeeded: number &* 3 &+ 5)
    )
}

@Suite("ChunkIndex")
struct ChunkIndexTests {
    @Test("100k random IDs round-trip")
    func roundTrip() {
        var random = SplitMix64(seed: 1)
        let packs = random.packIDs(997)
        let ids = random.digests(100_000)
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() {
            let added = index.insert(key(number, id), location(number, packs: packs))
            #expect(added)
        }
        #expect(index.count == ids.count)
        var mismatches = 0
        for (number, id) in ids.enumerated() where index.location(of: key(number, id)) != location(number, packs: packs) {
            mismatches += 1
        }
        #expect(mismatches == 0)
        #expect(ids.enumerated().allSatisfy { index.contains(key($0, $1)) })
    }

    @Test("IDs not inserted are not found, even when they share words with inserted ones")
    func missingIDs() {
        var random = SplitMix64(seed: 2)
        let packs = random.packIDs(10)
        let ids = random.digests(50_000)
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() { index.insert(key(number, id), location(number, packs: packs)) }

        let strangers = random.digests(50_000)
        #expect(!strangers.contains { index.contains(.data($0)) || index.contains(.tree($0)) })
        #expect(!strangers.contains { index.location(of: .data($0)) != nil || index.location(of: .tree($0)) != nil })
        // Differ from an inserted ID in one word only.
        let nearMisses = ids.prefix(10_000).flatMap { id -> [Digest256] in
            let (a, b, c, d) = id.words
            return [
                Digest256(words: (a ^ 1, b, c, d)), Digest256(words: (a, b ^ 1, c, d)),
                Digest256(words: (a, b, c ^ 1, d)), Digest256(words: (a, b, c, d ^ 1)),
            ]
        }
        #expect(!nearMisses.contains { index.contains(.data($0)) || index.contains(.tree($0)) })
        // The other type of an inserted ID is not found either.
        #expect(!ids.enumerated().contains { index.contains(BlobKey(blobType($0) == .data ? .tree : .data, $1)) })
        #expect(!ChunkIndex().contains(key(0, ids[0])))
        #expect(ChunkIndex().location(of: .data(.zero)) == nil)
    }

    @Test("A duplicate key keeps the first location, and its pack is not interned")
    func duplicates() {
        var random = SplitMix64(seed: 3)
        let id = random.digest()
        let first = BlobLocation(pack: random.packID(), type: .data, offset: 10, length: 20, rawLength: 30)
        let second = BlobLocation(pack: random.packID(), type: .data, offset: 40, length: 50, rawLength: 60)
        var index = ChunkIndex()
        let addedFirst = index.insert(.data(id), first)
        #expect(addedFirst)
        let addedSecond = index.insert(.data(id), second)
        #expect(!addedSecond)
        let addedAgain = index.insert(.data(id), first)
        #expect(!addedAgain)
        #expect(index.count == 1)
        #expect(index.location(of: .data(id)) == first)
        #expect(index.packs == [first.pack])
        #expect(Array(index).count == 1)
    }

    @Test("The table grows across many doublings and keeps every entry")
    func growth() {
        var random = SplitMix64(seed: 4)
        let packs = random.packIDs(50)
        let ids = random.digests(300_000)  // 16 slots grow to 2^19: 15 doublings
        var index = ChunkIndex()
        var footprints: [Int] = []
        var checkpoint = 16
        for (number, id) in ids.enumerated() {
            let added = index.insert(key(number, id), location(number, packs: packs))
            #expect(added)
            if index.count == checkpoint {
                // Everything inserted so far survived the rehashes.
                #expect(ids[0..<checkpoint].enumerated().allSatisfy { index.contains(key($0, $1)) })
                footprints.append(index.memoryFootprint)
                checkpoint *= 4
            }
        }
        #expect(footprints.count == 8)
        #expect(footprints == footprints.sorted())
        #expect(index.count == ids.count)
        #expect(ids.enumerated().allSatisfy { index.location(of: key($0, $1)) == location($0, packs: packs) })
    }

    @Test("reserveCapacity and expectedCount size the index without changing its contents")
    func reserve() {
        var random = SplitMix64(seed: 5)
        let packs = random.packIDs(3)
        let ids = random.digests(20_000)
        var sized = ChunkIndex(expectedCount: ids.count)
        let sizedFootprint = sized.memoryFootprint
        #expect(sizedFootprint > ids.count * 4)  // the table is allocated up front
        var reserved = ChunkIndex()
        for (number, id) in ids.prefix(100).enumerated() { reserved.insert(key(number, id), location(number, packs: packs)) }
        reserved.reserveCapacity(ids.count)
        for (number, id) in ids.enumerated() {
            sized.insert(key(number, id), location(number, packs: packs))
            reserved.insert(key(number, id), location(number, packs: packs))
        }
        #expect(sized.count == ids.count)
        #expect(reserved.count == ids.count)
        #expect(ids.enumerated().allSatisfy { sized.location(of: key($0, $1)) == location($0, packs: packs) })
        #expect(ids.enumerated().allSatisfy { reserved.location(of: key($0, $1)) == location($0, packs: packs) })
    }

    @Test("Pack IDs are interned once, in the order they first appear")
    func packInterning() {
        var random = SplitMix64(seed: 6)
        let pack = random.packID()
        var index = ChunkIndex()
        for offset in 0..<10 {
            index.insert(.data(random.digest()), BlobLocation(pack: pack, type: .data, offset: UInt32(offset), length: 1, rawLength: 1))
        }
        #expect(index.count == 10)
        #expect(index.packs == [pack])

        let (a, b, c) = (random.packID(), random.packID(), random.packID())
        var mixed = ChunkIndex()
        for (number, pack) in [a, b, a, c, b, a, c].enumerated() {
            mixed.insert(.tree(random.digest()), BlobLocation(pack: pack, type: .tree, offset: UInt32(number), length: 2, rawLength: 3))
        }
        #expect(mixed.packs == [a, b, c])
        #expect(mixed.map(\.location.pack) == [a, b, a, c, b, a, c])
    }

    @Test("Removing packs drops their blobs and keeps the rest intact")
    func removePacks() throws {
        var random = SplitMix64(seed: 7)
        let packs = random.packIDs(5)
        let ids = random.digests(10_000)
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() { index.insert(key(number, id), location(number, packs: packs)) }

        let doomed: Set = [packs[1], packs[3]]
        let expectedRemoved = ids.indices.filter { doomed.contains(packs[$0 % packs.count]) }.count
        let removed = index.removeAll(inPacks: doomed.union([random.packID()]))
        #expect(removed == expectedRemoved)
        #expect(index.count == ids.count - expectedRemoved)
        #expect(index.packs == [packs[0], packs[2], packs[4]])
        for (number, id) in ids.enumerated() {
            if doomed.contains(packs[number % packs.count]) {
                #expect(!index.contains(key(number, id)))
            } else {
                #expect(index.location(of: key(number, id)) == location(number, packs: packs))
            }
        }

        // Unknown packs change nothing.
        let before = Array(index).map(\.key)
        let removedUnknown = index.removeAll(inPacks: [random.packID()])
        #expect(removedUnknown == 0)
        let removedNothing = index.removeAll(inPacks: [])
        #expect(removedNothing == 0)
        #expect(Array(index).map(\.key) == before)

        // The index stays usable: removed IDs can come back elsewhere.
        let newPack = random.packID()
        let revived = try #require(ids.indices.first { doomed.contains(packs[$0 % packs.count]) })
        let newLocation = BlobLocation(pack: newPack, type: blobType(revived), offset: 1, length: 2, rawLength: 3)
        let readded = index.insert(key(revived, ids[revived]), newLocation)
        #expect(readded)
        #expect(index.location(of: key(revived, ids[revived])) == newLocation)
        #expect(index.packs.last == newPack)

        // Removing every pack empties the index.
        index.removeAll(inPacks: Set(index.packs))
        #expect(index.isEmpty)
        #expect(index.packs.isEmpty)
        #expect(!index.contains(key(0, ids[0])))
    }

    @Test("removeAll(where:) removes exactly the chosen blobs and drops emptied packs")
    func removeWhere() {
        var random = SplitMix64(seed: 8)
        let packs = random.packIDs(4)
        let ids = random.digests(5_000)
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() { index.insert(key(number, id), location(number, packs: packs)) }

        // Trees go, and so does everything in pack 2.
        let removed = index.removeAll { _, location in location.type == .tree || location.pack == packs[2] }
        let kept = ids.indices.filter { location($0, packs: packs).type == .data && $0 % packs.count != 2 }
        #expect(removed == ids.count - kept.count)
        #expect(index.count == kept.count)
        // Packs keep the order in which the kept blobs first name them.
        #expect(index.packs == [packs[1], packs[0], packs[3]])
        #expect(Array(index).map(\.key) == kept.map { key($0, ids[$0]) })
        #expect(kept.allSatisfy { index.location(of: key($0, ids[$0])) == location($0, packs: packs) })
    }

    @Test("A throwing predicate leaves the index unchanged")
    func removeWhereThrows() {
        struct Stop: Error {}
        var random = SplitMix64(seed: 9)
        let packs = random.packIDs(2)
        let ids = random.digests(100)
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() { index.insert(key(number, id), location(number, packs: packs)) }
        var seen = 0
        #expect(throws: Stop.self) {
            try index.removeAll { _, _ in
                seen += 1
                if seen == 50 { throw Stop() }
                return true
            }
        }
        #expect(index.count == ids.count)
        #expect(ids.enumerated().allSatisfy { index.contains(key($0, $1)) })
    }

    @Test("Iteration yields exactly the inserted blobs, in insertion order")
    func iteration() {
        var random = SplitMix64(seed: 10)
        let packs = random.packIDs(7)
        let ids = random.digests(150_000)  // more than two full segments
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() {
            index.insert(key(number, id), location(number, packs: packs))
            if number % 1000 == 0 { index.insert(key(number, id), location(number + 3, packs: packs)) }  // ignored duplicate (same type)
        }
        var number = 0
        var mismatches = 0
        for (blobKey, blobLocation) in index {
            if blobKey != key(number, ids[number]) || blobLocation != location(number, packs: packs) { mismatches += 1 }
            number += 1
        }
        #expect(number == ids.count)
        #expect(mismatches == 0)
        #expect(index.underestimatedCount == ids.count)
        #expect(Array(ChunkIndex()).isEmpty)
    }

    @Test("Batch insertion matches one-by-one insertion, duplicates included")
    func batchInsert() {
        var random = SplitMix64(seed: 11)
        let packs = random.packIDs(13)
        let ids = random.digests(40_000)
        var blobs = ids.enumerated().map { (key: key($0, $1), location: location($0, packs: packs)) }
        // Duplicates within the batch and against earlier content.
        blobs += ids.prefix(500).enumerated().map { (key: key($0, $1), location: location($0 + 3, packs: packs)) }
        var one = ChunkIndex()
        var batched = ChunkIndex()
        for blob in blobs.prefix(1_000) {
            one.insert(blob.key, blob.location)
            batched.insert(blob.key, blob.location)
        }
        var added = 0
        for blob in blobs.dropFirst(1_000) where one.insert(blob.key, blob.location) { added += 1 }
        let batchAdded = batched.insert(contentsOf: blobs.dropFirst(1_000))
        #expect(batchAdded == added)
        #expect(added == ids.count - 1_000)
        #expect(batched.count == one.count)
        #expect(batched.packs == one.packs)
        #expect(Array(batched).elementsEqual(Array(one)) { $0.key == $1.key && $0.location == $1.location })
        let emptyAdded = batched.insert(contentsOf: [(key: BlobKey, location: BlobLocation)]())
        #expect(emptyAdded == 0)
    }

    @Test("Extreme field values survive the compact record")
    func extremeValues() {
        var random = SplitMix64(seed: 12)
        let largest = BlobLocation(pack: random.packID(), type: .tree, offset: .max, length: .max, rawLength: .max)
        let smallest = BlobLocation(pack: .zero, type: .data, offset: 0, length: 0, rawLength: 0)
        let allOnes = Digest256(words: (.max, .max, .max, .max))
        var index = ChunkIndex()
        let addedLargest = index.insert(.tree(allOnes), largest)
        #expect(addedLargest)
        let addedSmallest = index.insert(.data(.zero), smallest)
        #expect(addedSmallest)
        #expect(index.location(of: .tree(allOnes)) == largest)
        #expect(index.location(of: .data(.zero)) == smallest)
    }

    @Test("IDs that agree in three words do not degrade the table", .timeLimit(.minutes(1)))
    func craftedIDs() {
        // With buckets taken from the first word, these would all probe one
        // cluster: about 5 * 10^9 probes for 100k IDs.
        let ids = (0..<100_000).map { Digest256(words: (0xDEAD_BEEF, 0, 0, UInt64($0))) }
        let pack = PackID(Digest256(words: (1, 2, 3, 4)))
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() {
            index.insert(.data(id), BlobLocation(pack: pack, type: .data, offset: UInt32(number), length: 1, rawLength: 1))
        }
        #expect(index.count == ids.count)
        #expect(ids.enumerated().allSatisfy { index.location(of: .data($1))?.offset == UInt32($0) })
    }

    @Test("One million entries take less than 64 bytes each")
    func footprint() {
        var random = SplitMix64(seed: 13)
        var index = ChunkIndex()
        var pack = random.packID()
        for number in 0..<1_000_000 {
            if number % 100 == 0 { pack = random.packID() }
            index.insert(.data(random.digest()), BlobLocation(pack: pack, type: .data, offset: UInt32(number), length: 1, rawLength: 1))
        }
        #expect(index.count == 1_000_000)
        #expect(index.packs.count == 10_000)
        #expect(index.memoryFootprint < 1_000_000 * 64)
        // At least the records themselves.
        #expect(index.memoryFootprint > 1_000_000 * 48)
    }

    @Test("Copies are independent values")
    func valueSemantics() {
        var random = SplitMix64(seed: 14)
        let packs = random.packIDs(3)
        let ids = random.digests(1_000)
        var original = ChunkIndex()
        for (number, id) in ids.prefix(500).enumerated() { original.insert(key(number, id), location(number, packs: packs)) }

        let copy = original
        for (number, id) in ids.dropFirst(500).enumerated() { original.insert(key(number + 500, id), location(number + 500, packs: packs)) }
        #expect(original.count == 1_000)
        #expect(copy.count == 500)
        #expect(!copy.contains(key(999, ids[999])))
        #expect(copy.location(of: key(499, ids[499])) == location(499, packs: packs))
        #expect(Array(copy).count == 500)

        var pruned = original
        pruned.removeAll(inPacks: [packs[0]])
        #expect(original.count == 1_000)
        #expect(original.packs == packs)
        #expect(pruned.count < 1_000)
        #expect(ids.enumerated().allSatisfy { original.location(of: key($0, $1)) == location($0, packs: packs) })
    }

    @Test("A data blob and a tree blob with the same ID are two entries; each is found only by its own type")
    func sameIDBothTypes() {
        var random = SplitMix64(seed: 15)
        let packs = random.packIDs(2)
        let ids = random.digests(20_000)
        var index = ChunkIndex()
        for (number, id) in ids.enumerated() {
            let data = BlobLocation(pack: packs[0], type: .data, offset: UInt32(number), length: 1, rawLength: 1)
            let tree = BlobLocation(pack: packs[1], type: .tree, offset: UInt32(number), length: 2, rawLength: 2)
            // Alternate which type arrives first.
            let addedFirst = number.isMultiple(of: 2) ? index.insert(.data(id), data) : index.insert(.tree(id), tree)
            let addedSecond = number.isMultiple(of: 2) ? index.insert(.tree(id), tree) : index.insert(.data(id), data)
            #expect(addedFirst && addedSecond)
        }
        #expect(index.count == 2 * ids.count)
        #expect(ids.allSatisfy { index.location(of: .data($0))?.pack == packs[0] && index.location(of: .tree($0))?.pack == packs[1] })
        // Removing one type leaves the other.
        index.removeAll { key, _ in key.type == .tree }
        #expect(index.count == ids.count)
        #expect(ids.allSatisfy { index.contains(.data($0)) && !index.contains(.tree($0)) })
    }
}
