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
struct VerifyPackReadPlan: Equatable, Sendable {
    /// One range of the pack, and the blobs decoded from it.
    struct Window: Equatable, Sendable {
        /// The bytes of the pack read at once.
        var range: Range<Int64>
        /// Positions, in the pack's blob list, of the blobs that start in
        /// `range`; those that end past the pack's end are not decoded
        /// (the size check reports them).
        var blobs: Range<Int>
    }

    /// The windows, in file order; together they are exactly `0..<packSize`.
    var windows: [Window]

    /// The size a window starts from: 4 MiB.
    static let defaultWindowSize: Int64 = 4 << 20

    /// Plans the reading of a pack.
    ///
    /// - Parameters:
    ///   - blobs: The blobs the index places in the pack, sorted by offset.
    ///   - packSize: The pack file's size in the storage.
    ///   - windowSize: The size a window starts from (at least 1 byte is used).
    init(blobs: [IndexFile.Blob], packSize: Int64, windowSize: Int64 = Self.defaultWindowSize) {
        let step = max(1, windowSize)
        var windows: [Window] = []
        var position: Int64 = 0
        var next = 0
        while position < packSize {
            // Neither sum can overflow: offsets and lengths are 32-bit, and a
            // pack size or window size near Int64.max is clamped first.
            var end = position + min(step, packSize - position)
            let first = next
            while next < blobs.count, Int64(blobs[next].offset) < end {
                let blobEnd = Int64(blobs[next].offset) + Int64(blobs[next].length)
                if blobEnd <= packSize {
                    end = max(end, blobEnd)
                }
                next += 1
            }
            windows.append(Window(range: position..<end, blobs: first..<next))
            position = end
        }
        self.windows = windows
    }
}
