import VaultRepository

/// How much `vault prune` may leave and do.
package struct PruneOptions: Sendable, Hashable {
    /// How much unused space may stay in packs that also hold used blobs.
    package enum MaximumUnused: Sendable, Hashable, CustomStringConvertible {
        /// At most this percentage (0 ≤ p < 100) of the repository after
        /// pruning: unused ≤ used × p / (100 − p).
        case percent(Double)
        /// At most this many bytes.
        case bytes(Int64)
        /// Any amount: only packs without a used blob are deleted, nothing is repacked.
        case unlimited

        /// The limit in bytes for a repository whose used blobs take `usedBytes`.
        func limit(usedBytes: Int64) -> Int64 {
            switch self {
            case .percent(let percent):
                guard percent < 100 else { return .max }
                let limit = Double(usedBytes) * max(0, percent) / (100 - max(0, percent))
                return limit >= Double(Int64.max) ? .max : Int64(limit)
            case .bytes(let bytes): return max(0, bytes)
            case .unlimited: return .max
            }
        }

        /// Parses `5%`, `5`, a size such as `100M` (through `parseSize`), or `unlimited`.
        package init?(_ text: String, parseSize: (String) -> Int?) {
            if text == "unlimited" {
                self = .unlimited
            } else if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent >= 0, percent <= 100 {
                self = .percent(percent)
            } else if let percent = Double(text), !text.contains(where: { $0.isLetter }), percent >= 0, percent <= 100 {
                self = .percent(percent)
            } else if let bytes = parseSize(text) {
                self = .bytes(Int64(bytes))
            } else {
                return nil
            }
        }

        package var description: String {
            switch self {
            case .percent(let percent): "\(percent)%"
            case .bytes(let bytes): "\(bytes) bytes"
            case .unlimited: "unlimited"
            }
        }
    }

    /// Default 5%.
    package var maximumUnused = MaximumUnused.percent(5)
    /// At most this many bytes of packs are repacked in one run (`nil`: no limit).
    package var maximumRepackSize: Int64?
    /// Proceed although packs are missing or damaged, keeping everything
    /// that cannot be proved unused.
    package var ignoreDamaged = false
    /// Unindexed packs and temporary files younger than this are kept: a
    /// writer whose lock went stale might still index them.
    package var safetyMargin: Duration = .seconds(3600)
    /// Only compute and report the plan.
    package var dryRun = false

    package init() {}
}
