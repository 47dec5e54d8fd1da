import VaultCodecs
import VaultPOSIX

/// The in-memory map from blob key (type and ID) to the blob's location in
/// a pack.
///
/// A blob is named by its type together with its ID (``BlobKey``): a data
/// blob and a tree blob with the same plaintext share an ID, and the index
/// keeps them apart. Asking for a data blob never finds a tree blob.
///
/// Built for repositories with tens of millions of blobs: an entry costs
/// 48 bytes of record plus 5.3 to 10.7 bytes of table (10 million entries:
/// 540 MiB; a `Dictionary<Digest256, BlobLocation>` takes 1.3 GiB).
///
/// - Each entry is a 48-byte record (the ID's four words, a pack number with
///   the blob type in its low bit, offset, length and raw length) in
///   fixed-size segments of 65,536 records, so growth never copies records
///   and wastes at most one partly filled segment.
/// - Pack IDs are interned: each distinct pack is stored once and entries
///   refer to it by number.
/// - Lookups go through an open-addressing hash table of 32-bit slots with
///   linear probing, a power-of-two capacity and a load factor of at most
///   3/4. A slot holds the entry's number plus 1 (0 marks an empty slot) in
///   its low bits and, in the bits the number does not need, a tag taken
///   from the ID's hash, so a probe rarely reads a record that is not the
///   one sought. Growing doubles the table and re-inserts slot numbers only.
///
/// The index is a value type; copies share storage until one is modified.
///
/// ## Crafted IDs
///
/// Blob IDs come from index files in the repository, and anyone who can
/// write a valid index file chooses its IDs freely, for example a million
/// IDs that share their first word. Were the table bucket taken straight
/// from the ID, such a file would make loading quadratic. So bucket and tag
/// come from a hash of all four words keyed with 256 random bits drawn for
/// each new index (wyhash's multiply-and-fold mixing: not a cryptographic
/// PRF, but without the key, which never leaves the process, IDs cannot be
/// aimed at one bucket).
package struct ChunkIndex: Sendable {
    /// One blob's record: 48 bytes, no padding.
    struct Entry: Sendable {
        var id: Digest256
        /// The pack number shifted left by one, with the blob type in bit 0.
        var packAndType: UInt32
        var offset: UInt32
        var length: UInt32
        var rawLength: UInt32
    }

    /// The key of the table's hash function.
    typealias Seed = (UInt64, UInt64, UInt64, UInt64)

    /// log2 of the number of records in a full segment.
    static let segmentShift = 16
    /// The number of records in a full segment.
    static let segmentCapacity = 1 << segmentShift
    /// How many slots bulk operations touch ahead of using them.
    static let batchSize = 16
    /// The smallest table: 16 slots.
    static let minimumSlotBits = 4
    /// The most entries an index holds: slot numbers are 32 bits, and the
    /// table may be at most 3/4 full.
    static let maximumCount = Int(UInt32.max / 4 * 3)
    /// The most distinct packs: the pack number shares 32 bits with the type.
    static let maximumPackCount = Int(UInt32.max >> 1)

    /// The records, in insertion order, in segments of `segmentCapacity`.
    private var segments: [[Entry]] = []
    /// The hash table; see the type's documentation for the slot layout.
    private var slots: [UInt32]
    /// log2 of `slots.count`.
    private var slotBits: Int
    /// The distinct pack IDs, indexed by pack number.
    private var packIDs: [PackID] = []
    /// The pack number of each pack ID.
    private var packNumbers: [PackID: UInt32] = [:]
    /// The pack of the most recent insert: consecutive inserts usually share
    /// a pack, and this spares them the dictionary look-up.
    private var lastPack: (id: PackID, number: UInt32)?

    /// The hash function's key, random for each new index.
    private let seed: Seed

    /// Where ``insert(contentsOf:)`` stores the slots it touches ahead of
    /// time, so the optimizer keeps the loads.
    private var prefetchSink: UInt32 = 0

    /// The number of blobs in the index.
    package private(set) var count = 0

    /// Creates an empty index.
    ///
    /// - Parameter expectedCount: The number of blobs the index will likely
    ///   hold; sizing the table for them up front saves rehashing.
    package init(expectedCount: Int = 0) {
        var random = SystemRandomNumberGenerator()
        seed = (random.next(), random.next(), random.next(), random.next())
        slotBits = Self.slotBits(for: expectedCount)
        slots = Self.makeTable(slotBits: slotBits)
        if expectedCount > 0 {
            segments.reserveCapacity((expectedCount + Self.segmentCapacity - 1) >> Self.segmentShift)
        }
    }

    /// Whether the index holds no blobs.
    package var isEmpty: Bool { count == 0 }

    /// The distinct packs that hold at least one blob of the index, in the
    /// order they first appeared.
    package var packs: [PackID] { packIDs }

    /// Makes room for `capacity` blobs without rehashing.
    ///
    /// - Parameter capacity: The number of blobs the index should hold
    ///   before it grows its table again.
    package mutating func reserveCapacity(_ capacity: Int) {
        let bits = Self.slotBits(for: capacity)
        if bits > slotBits { rehash(slotBits: bits) }
        let segmentCount = (capacity + Self.segmentCapacity - 1) >> Self.segmentShift
        if segmentCount > segments.capacity { segments.reserveCapacity(segmentCount) }
    }

    /// Adds a blob, unless the index already holds a blob with that key.
    ///
    /// - Parameters:
    ///   - key: The blob's type and ID; the type must be `location.type`.
    ///   - location: Where the blob is stored.
    /// - Returns: `true` if the blob was added; `false` if the index already
    ///   held the key, in which case it keeps the location it had.
    @discardableResult
    package mutating func insert(_ key: BlobKey, _ location: BlobLocation) -> Bool {
        precondition(count < Self.maximumCount, "chunk index is full")
        if count >= Self.maximumLoad(slotBits: slotBits) { rehash(slotBits: slotBits + 1) }
        return insert(key, location, hash: Self.hash(key, seed: seed))
    }

    /// Adds many blobs, skipping keys the index already holds.
    ///
    /// Equivalent to calling ``insert(_:_:)`` for each blob in order, but
    /// faster for large batches (loading index files): it looks up the table
    /// slots of several blobs at once, so that their cache misses overlap.
    /// Call ``reserveCapacity(_:)`` first when the total is known, to skip
    /// the rehashing as the table grows.
    ///
    /// - Parameter blobs: The blobs' keys and locations.
    /// - Returns: The number of blobs added.
    @discardableResult
    package mutating func insert(
        contentsOf blobs: some Sequence<(key: BlobKey, location: BlobLocation)>
    ) -> Int {
        var batch: [(key: BlobKey, location: BlobLocation, hash: UInt64)] = []
        batch.reserveCapacity(Self.batchSize)
        var added = 0
        var iterator = blobs.makeIterator()
        var exhausted = false
        while !exhausted {
            batch.removeAll(keepingCapacity: true)
            while batch.count < Self.batchSize {
                guard let blob = iterator.next() else {
                    exhausted = true
                    break
                }
                batch.append((blob.key, blob.location, Self.hash(blob.key, seed: seed)))
            }
            precondition(count + batch.count <= Self.maximumCount, "chunk index is full")
            let needed = Self.slotBits(for: count + batch.count)
            if needed > slotBits { rehash(slotBits: needed) }
            // Touch the batch's first slots: the loads do not depend on each
            // other, so the processor overlaps their cache misses.
            let bits = slotBits
            var touched: UInt32 = 0
            slots.withUnsafeBufferPointer { slots in
                for item in batch { touched |= slots[Self.bucket(item.hash, slotBits: bits)] }
            }
            prefetchSink = touched
            for item in batch where insert(item.key, item.location, hash: item.hash) {
                added += 1
            }
        }
        return added
    }

    /// Adds a blob whose table has room and whose hash is known.
    @inline(__always)
    private mutating func insert(_ key: BlobKey, _ location: BlobLocation, hash: UInt64) -> Bool {
        precondition(key.type == location.type, "a blob's key and location disagree about its type")
        let slot: Int
        switch probe(key, hash: hash) {
        case .found: return false
        case .vacant(let vacant): slot = vacant
        }
        let packNumber = intern(location.pack)
        append(Entry(
            id: key.id,
            packAndType: packNumber << 1 | UInt32(location.type.rawValue & 1),
            offset: location.offset,
            length: location.length,
            rawLength: location.rawLength
        ))
        slots[slot] = Self.tag(hash, slotBits: slotBits) | UInt32(truncatingIfNeeded: count)
        return true
    }

    /// Looks up where a blob is stored.
    ///
    /// - Parameter key: The blob's type and ID.
    /// - Returns: The blob's location, or `nil` if the index does not hold a
    ///   blob of this type with this ID.
    package func location(of key: BlobKey) -> BlobLocation? {
        guard case .found(let number) = probe(key, hash: Self.hash(key, seed: seed)) else { return nil }
        return location(of: entry(number))
    }

    /// Whether the index holds a blob.
    ///
    /// - Parameter key: The blob's type and ID.
    /// - Returns: `true` if the index holds a blob of this type with this ID.
    package func contains(_ key: BlobKey) -> Bool {
        if case .found = probe(key, hash: Self.hash(key, seed: seed)) { return true }
        return false
    }

    /// Removes every blob stored in the given packs, and the packs.
    ///
    /// Rebuilds the index; the remaining blobs keep their order.
    ///
    /// - Parameter packs: The IDs of the packs to drop; IDs the index does not
    ///   know are ignored.
    /// - Returns: The number of blobs removed.
    @discardableResult
    package mutating func removeAll(inPacks packs: Set<PackID>) -> Int {
        var doomed = [Bool](repeating: false, count: packIDs.count)
        var anyDoomed = false
        for pack in packs {
            if let number = packNumbers[pack] {
                doomed[Int(number)] = true
                anyDoomed = true
            }
        }
        guard anyDoomed else { return 0 }
        return rebuild { entry in !doomed[Int(entry.packAndType >> 1)] }
    }

    /// Removes every blob for which `shouldBeRemoved` returns `true`.
    ///
    /// Rebuilds the index; the remaining blobs keep their order, and packs
    /// left without blobs are dropped.
    ///
    /// - Parameter shouldBeRemoved: Decides, for a blob's key and location,
    ///   whether to remove it.
    /// - Returns: The number of blobs removed.
    /// - Throws: Whatever `shouldBeRemoved` throws; the index is then
    ///   unchanged.
    @discardableResult
    package mutating func removeAll(
        where shouldBeRemoved: (BlobKey, BlobLocation) throws -> Bool
    ) rethrows -> Int {
        let ids = packIDs
        return try rebuild { entry in
            let type: BlobType = entry.packAndType & 1 == 0 ? .data : .tree
            let location = BlobLocation(
                pack: ids[Int(entry.packAndType >> 1)],
                type: type,
                offset: entry.offset,
                length: entry.length,
                rawLength: entry.rawLength
            )
            return try !shouldBeRemoved(BlobKey(type, entry.id), location)
        }
    }

    /// The bytes the index's storage occupies, computed from the capacities
    /// of its arrays (the pack dictionary is estimated from its capacity).
    package var memoryFootprint: Int {
        var bytes = segments.capacity * MemoryLayout<[Entry]>.stride
        for segment in segments {
            bytes += segment.capacity * MemoryLayout<Entry>.stride
        }
        bytes += slots.capacity * MemoryLayout<UInt32>.stride
        bytes += packIDs.capacity * MemoryLayout<PackID>.stride
        // A dictionary keeps its load at 3/4 at most, with one bit of
        // metadata per bucket.
        let buckets = packNumbers.capacity * 4 / 3
        bytes += buckets * (MemoryLayout<PackID>.stride + MemoryLayout<UInt32>.stride) + buckets / 8
        return bytes
    }
}

// MARK: - Iteration

extension ChunkIndex: Sequence {
    /// Iterates over an index's blobs, in the order they were inserted.
    package struct Iterator: IteratorProtocol {
        private let segments: [[Entry]]
        private let packIDs: [PackID]
        private var segment = 0
        private var position = 0

        fileprivate init(segments: [[Entry]], packIDs: [PackID]) {
            self.segments = segments
            self.packIDs = packIDs
        }

        /// Returns the next blob's key and location.
        ///
        /// - Returns: The next blob, or `nil` after the last one.
        package mutating func next() -> (key: BlobKey, location: BlobLocation)? {
            while segment < segments.count {
                if position < segments[segment].count {
                    let entry = segments[segment][position]
                    position += 1
                    let type: BlobType = entry.packAndType & 1 == 0 ? .data : .tree
                    let location = BlobLocation(
                        pack: packIDs[Int(entry.packAndType >> 1)],
                        type: type,
                        offset: entry.offset,
                        length: entry.length,
                        rawLength: entry.rawLength
                    )
                    return (BlobKey(type, entry.id), location)
                }
                segment += 1
                position = 0
            }
            return nil
        }
    }

    /// Returns an iterator over the index's blobs, in insertion order.
    ///
    /// - Returns: An iterator over pairs of key and location.
    package func makeIterator() -> Iterator {
        Iterator(segments: segments, packIDs: packIDs)
    }

    /// The number of blobs in the index.
    package var underestimatedCount: Int { count }
}

// MARK: - Internals

extension ChunkIndex {
    /// What probing the table found.
    private enum ProbeResult {
        /// The ID's entry number.
        case found(Int)
        /// The empty slot where the ID would go.
        case vacant(Int)
    }

    /// An empty table of `1 << slotBits` slots, backed by huge pages where
    /// the system offers them: lookups touch random slots, and huge pages
    /// save most of their TLB misses.
    private static func makeTable(slotBits: Int) -> [UInt32] {
        let count = 1 << slotBits
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            MemoryAdvice.preferHugePages(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: 0)
            initializedCount = count
        }
    }

    /// The most entries a table of `1 << slotBits` slots holds.
    private static func maximumLoad(slotBits: Int) -> Int {
        let capacity = 1 << slotBits
        return capacity - capacity / 4
    }

    /// The table size, as a power of two, for `count` entries.
    private static func slotBits(for count: Int) -> Int {
        var bits = minimumSlotBits
        while maximumLoad(slotBits: bits) < count { bits += 1 }
        return bits
    }

    /// The 64-bit hash of a key under `seed`: three 64×64→128-bit
    /// multiplications, each folded by XOR (the mixing step of wyhash); the
    /// type enters the last one, so a data blob and a tree blob with the
    /// same ID land in unrelated buckets.
    @inline(__always)
    private static func hash(_ key: BlobKey, seed: Seed) -> UInt64 {
        let id = key.id
        let low = fold(id.words.0 ^ seed.0, id.words.1 ^ seed.1)
        let high = fold(id.words.2 ^ seed.2, id.words.3 ^ seed.3)
        return fold(low ^ seed.1, high ^ seed.2 ^ UInt64(key.type.rawValue & 1))
    }

    /// Multiplies two words to 128 bits and XORs the halves.
    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The slot an ID's probe starts at: the hash's top bits.
    @inline(__always)
    private static func bucket(_ hash: UInt64, slotBits: Int) -> Int {
        Int(truncatingIfNeeded: hash &>> UInt64(64 - slotBits))
    }

    /// The tag bits of a slot: the hash's low 32 bits, without the low
    /// `slotBits` bits that hold the entry number.
    @inline(__always)
    private static func tag(_ hash: UInt64, slotBits: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: hash) & ~numberMask(slotBits: slotBits)
    }

    /// The bits of a slot that hold the entry number plus 1.
    @inline(__always)
    private static func numberMask(slotBits: Int) -> UInt32 {
        slotBits >= 32 ? UInt32.max : (1 << UInt32(slotBits)) - 1
    }

    /// The record with entry number `number`.
    @inline(__always)
    private func entry(_ number: Int) -> Entry {
        segments[number &>> Self.segmentShift][number & (Self.segmentCapacity - 1)]
    }

    /// Finds a key's entry, or the empty slot where it would go.
    @inline(__always)
    private func probe(_ key: BlobKey, hash: UInt64) -> ProbeResult {
        let id = key.id
        let typeBit = UInt32(key.type.rawValue & 1)
        let tag = Self.tag(hash, slotBits: slotBits)
        let numberMask = Self.numberMask(slotBits: slotBits)
        let slotMask = (1 << slotBits) - 1
        var index = Self.bucket(hash, slotBits: slotBits)
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[index]
                if slot == 0 { return .vacant(index) }
                if slot & ~numberMask == tag {
                    let number = Int(slot & numberMask) - 1
                    let candidate = entry(number)
                    if candidate.id == id, candidate.packAndType & 1 == typeBit { return .found(number) }
                }
                index = (index + 1) & slotMask
            }
        }
    }

    /// Builds a blob location from a record.
    @inline(__always)
    private func location(of entry: Entry) -> BlobLocation {
        BlobLocation(
            pack: packIDs[Int(entry.packAndType >> 1)],
            type: entry.packAndType & 1 == 0 ? .data : .tree,
            offset: entry.offset,
            length: entry.length,
            rawLength: entry.rawLength
        )
    }

    /// The pack number for a pack ID, interning the ID if it is new.
    private mutating func intern(_ pack: PackID) -> UInt32 {
        if let lastPack, lastPack.id == pack { return lastPack.number }
        let number: UInt32
        if let known = packNumbers[pack] {
            number = known
        } else {
            precondition(packIDs.count < Self.maximumPackCount, "chunk index has too many packs")
            number = UInt32(packIDs.count)
            packIDs.append(pack)
            packNumbers[pack] = number
        }
        lastPack = (pack, number)
        return number
    }

    /// Appends a record to the last segment, starting a new segment when it
    /// is full, and counts it.
    private mutating func append(_ entry: Entry) {
        if segments.isEmpty || segments[segments.count - 1].count == Self.segmentCapacity {
            // Later segments are born full-size; the first grows as needed,
            // so small indexes stay small.
            var segment: [Entry] = []
            if !segments.isEmpty { segment.reserveCapacity(Self.segmentCapacity) }
            segments.append(segment)
        }
        let last = segments.count - 1
        let segmentCount = segments[last].count
        if segmentCount == segments[last].capacity {
            // Double, but never beyond a full segment.
            segments[last].reserveCapacity(Swift.min(Swift.max(2 * segmentCount, 16), Self.segmentCapacity))
        }
        segments[last].append(entry)
        count += 1
    }

    /// Replaces the table with one of `1 << slotBits` slots and re-inserts
    /// every entry's number.
    private mutating func rehash(slotBits newBits: Int) {
        precondition(newBits <= 32, "chunk index table cannot grow beyond 2^32 slots")
        slotBits = newBits
        slots = Self.makeTable(slotBits: newBits)
        let slotMask = (1 << newBits) - 1
        let seed = self.seed
        var number = 0
        var touched: UInt32 = 0
        slots.withUnsafeMutableBufferPointer { slots in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.batchSize) { hashes in
                for segment in segments {
                    segment.withUnsafeBufferPointer { records in
                        var start = 0
                        while start < records.count {
                            let batch = Swift.min(Self.batchSize, records.count - start)
                            // Hash a batch and touch its first slots before
                            // placing it, so the cache misses overlap.
                            for offset in 0..<batch {
                                let record = records[start + offset]
                                let type: BlobType = record.packAndType & 1 == 0 ? .data : .tree
                                let hash = Self.hash(BlobKey(type, record.id), seed: seed)
                                hashes[offset] = hash
                                touched |= slots[Self.bucket(hash, slotBits: newBits)]
                            }
                            for offset in 0..<batch {
                                number += 1
                                let hash = hashes[offset]
                                var index = Self.bucket(hash, slotBits: newBits)
                                while slots[index] != 0 { index = (index + 1) & slotMask }
                                slots[index] = Self.tag(hash, slotBits: newBits) | UInt32(truncatingIfNeeded: number)
                            }
                            start += batch
                        }
                    }
                }
            }
        }
        prefetchSink = touched
    }

    /// Replaces the index with one that holds only the records `keep`
    /// accepts, renumbering the packs that still hold blobs.
    ///
    /// - Returns: The number of records dropped.
    private mutating func rebuild(keeping keep: (Entry) throws -> Bool) rethrows -> Int {
        var rebuilt = ChunkIndex()
        var newNumbers = [UInt32?](repeating: nil, count: packIDs.count)
        for segment in segments {
            for var record in segment where try keep(record) {
                let oldNumber = Int(record.packAndType >> 1)
                let newNumber: UInt32
                if let known = newNumbers[oldNumber] {
                    newNumber = known
                } else {
                    newNumber = UInt32(rebuilt.packIDs.count)
                    newNumbers[oldNumber] = newNumber
                    rebuilt.packIDs.append(packIDs[oldNumber])
                    rebuilt.packNumbers[packIDs[oldNumber]] = newNumber
                }
                record.packAndType = newNumber << 1 | record.packAndType & 1
                rebuilt.append(record)
            }
        }
        let removed = count - rebuilt.count
        rebuilt.rehash(slotBits: Self.slotBits(for: rebuilt.count))
        self = rebuilt
        return removed
    }
}
