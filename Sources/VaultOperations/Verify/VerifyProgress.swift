/// How far `verify` has come, for a progress display.
package struct VerifyProgress: Sendable, Hashable {
    /// The part of the check running.
    package enum Phase: String, Sendable, Hashable {
        /// Reading key and index files.
        case index
        /// Checking pack sizes and headers, and reading packs.
        case packs
        /// Reading snapshots and walking their trees.
        case trees
    }

    /// The part of the check running.
    package var phase: Phase
    /// Items done in this phase (packs checked, trees read).
    package var completed: Int
    /// Items in this phase, when known.
    package var total: Int?
    /// Bytes of packs read whole so far.
    package var bytesRead: Int64

    /// Creates a progress report.
    package init(phase: Phase, completed: Int, total: Int?, bytesRead: Int64) {
        self.phase = phase
        self.completed = completed
        self.total = total
        self.bytesRead = bytesRead
    }
}
