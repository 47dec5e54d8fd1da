/// The bytes a restore holds between reading a pack range and writing its
/// chunks: the ranges being read and decoded (their stored bytes and the
/// plaintexts they decode to) and the decoded chunks waiting for, or being
/// written by, the restore lanes.
///
/// A read is started only when its cost fits beside what is in flight,
/// and when nothing is in flight a read starts whatever its cost: one
/// range larger than the budget (a chunk larger than it) proceeds alone,
/// so the restore never waits for room that cannot come. What is in
/// flight therefore never exceeds the larger of ``limit`` and the cost of
/// one read (``RestorePackRead/cost``). The limit scales with the cores
/// (``standardLimit(processors:)``), not with the data.
///
/// Only the task coordinating the restore touches it.
struct RestoreInFlightBudget {
    /// Bytes in flight beyond which no further read starts.
    let limit: Int
    /// Bytes in flight now.
    private(set) var used = 0
    /// The most bytes that were in flight at once.
    private(set) var peak = 0

    /// Bytes in flight allowed per core.
    static let bytesPerProcessor = 8 << 20

    /// What a decoded chunk costs beyond its plaintext: the array's header
    /// and the allocator's rounding, the decoded record, the lane's work
    /// item and its placements. Counted so that many small chunks (a tree
    /// of small files) cannot exceed the budget with little plaintext.
    static let overheadPerChunk = 256

    /// The budget of a restore on `processors` cores: 8 MiB a core, and
    /// at least 16 MiB.
    static func standardLimit(processors: Int) -> Int {
        max(2, processors) * bytesPerProcessor
    }

    /// Creates an empty budget; a limit below one byte counts as one.
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Whether `bytes` more may be taken now: they fit beside what is in
    /// flight, or nothing is in flight.
    func admits(_ bytes: Int) -> Bool {
        used == 0 || bytes <= limit - used
    }

    /// Counts `bytes` as in flight.
    mutating func take(_ bytes: Int) {
        used += bytes
        peak = max(peak, used)
    }

    /// Counts `bytes` taken earlier as no longer in flight.
    mutating func give(_ bytes: Int) {
        used = max(0, used - bytes)
    }
}
