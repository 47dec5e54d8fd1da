import VaultRepository

/// How `verify --read-data` reads one pack: in consecutive ranges
/// ("windows") that cover the whole file from its first byte to its last,
/// so the pack's SHA-256 is computed as the windows arrive, and each
/// window extended to the end of every blob that starts in it, so each
/// blob is decoded from the one window that holds it whole.
///
/// Memory per pack in flight is one window: about ``defaultWindowSize``
/// plus the last blob that starts in it, not the pack (a pack of 16 MiB
/// read whole, four at a time, was most of verify's peak memory).
/// Blobs that overlap (only a forged index makes them) can stretch a
/// window up to the whole pack, which is what reading it whole cost.
///
/// The windows are made as they are iterated, not held: the pack's size
/// is what the storage claims, and a claim of 2^63 bytes would otherwise
/// be 2^41 windows in memory before the first read could fail.
package struct VerifyPackReadPlan: Sequence, Sendable {
    /// One range of the pack, and the blobs decoded from it.
    package struct Window: Equatable, Sendable {
        /// The bytes of the pack read at once.
        package var range: Range<Int64>
        /// Positions, in the pack's blob list, of the blobs that start in
        /// `range`; those that end past the pack's end are not decoded
        /// (the size check reports them).
        package var blobs: Range<Int>
    }

    /// The blobs the index places in the pack, in ``sortForPlanning(_:)``'s order.
    private let blobs: [IndexFile.Blob]
    /// The pack file's size in the storage.
    private let packSize: Int64
    /// The size a window starts from, at least 1.
    private let step: Int64

    /// The size a window starts from: 4 MiB.
    package static let defaultWindowSize: Int64 = 4 << 20

    /// Plans the reading of a pack.
    ///
    /// - Parameters:
    ///   - blobs: The blobs the index places in the pack, in ``sortForPlanning(_:)``'s order.
    ///   - packSize: The pack file's size in the storage (any value: none
    ///     below 1 means no windows).
    ///   - windowSize: The size a window starts from (at least 1 byte is used).
    package init(blobs: [IndexFile.Blob], packSize: Int64, windowSize: Int64 = Self.defaultWindowSize) {
        self.blobs = blobs
        self.packSize = packSize
        self.step = Swift.max(1, windowSize)
    }

    /// Puts a pack's blobs in the order the plan needs: by offset, blobs
    /// at the same offset (a forged index) in their index order.
    package static func sortForPlanning(_ blobs: inout [IndexFile.Blob]) {
        // Swift's sort is stable; in place, so that no second copy of the records is made.
        blobs.sort { $0.offset < $1.offset }
    }

    /// The windows, in file order; together they are exactly `0..<packSize`.
    /// (All of them at once: for tests, on packs of sensible sizes.)
    var windows: [Window] { Array(self) }

    /// Makes the windows one at a time.
    package struct Iterator: IteratorProtocol {
        private let plan: VerifyPackReadPlan
        private var position: Int64 = 0
        private var nextBlob = 0

        fileprivate init(_ plan: VerifyPackReadPlan) {
            self.plan = plan
        }

        /// The next window, or `nil` at the end of the pack.
        package mutating func next() -> Window? {
            guard position < plan.packSize else { return nil }
            // Neither sum can overflow: offsets and lengths are 32-bit, and
            // the step is clamped to the bytes left first.
            var end = position + Swift.min(plan.step, plan.packSize - position)
            let first = nextBlob
            while nextBlob < plan.blobs.count, Int64(plan.blobs[nextBlob].offset) < end {
                let blobEnd = Int64(plan.blobs[nextBlob].offset) + Int64(plan.blobs[nextBlob].length)
                if blobEnd <= plan.packSize {
                    end = Swift.max(end, blobEnd)
                }
                nextBlob += 1
            }
            let window = Window(range: position..<end, blobs: first..<nextBlob)
            position = end
            return window
        }
    }

    /// Starts making the windows from the pack's first byte.
    package func makeIterator() -> Iterator {
        Iterator(self)
    }
}
