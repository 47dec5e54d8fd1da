import VaultCodecs
import VaultRepository

/// Which packs `verify` reads whole (`--read-data`, `--read-data-subset`).
///
/// A subset is chosen by pack ID, never by position in a listing, so it is
/// the same on every run and for every copy of a repository, and packs
/// added later fall into a slice of their own: running slices `1/M` through
/// `M/M` reads every pack exactly once.
package enum VerifyDataSelection: Sendable, Hashable, CustomStringConvertible {
    /// Read no pack: the structural check only.
    case none
    /// Read every pack.
    case all
    /// Read the packs whose ID, taken as a number, leaves remainder
    /// `slice - 1` when divided by `count` (`K/M` on the command line).
    case slice(Int, of: Int)
    /// Read about `percent` percent of the packs: those whose first 64 ID
    /// bits, as a fraction of 2^64, fall below `percent / 100`.
    case percent(Double)

    /// Parses `N%` (0 < N ≤ 100, decimals allowed) or `K/M` (1 ≤ K ≤ M).
    ///
    /// - Parameter text: The argument of `--read-data-subset`.
    /// - Throws: ``RepositoryError`` with code `.invalidRequest`, saying what is accepted.
    package init(parsing text: String) throws(RepositoryError) {
        let invalid = RepositoryError(.invalidRequest, "invalid subset '\(text)': give N% (0 < N ≤ 100) or K/M (1 ≤ K ≤ M)")
        if text.hasSuffix("%") {
            guard let value = Double(text.dropLast()), value.isFinite, value > 0, value <= 100 else { throw invalid }
            self = value == 100 ? .all : .percent(value)
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let slice = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1...count).contains(slice) else {
            throw invalid
        }
        self = count == 1 ? .all : .slice(slice, of: count)
    }

    /// Whether `verify` reads the pack `id` whole.
    ///
    /// - Parameter id: The pack's ID.
    /// - Returns: Whether the pack is in the selection.
    package func includes(_ pack: PackID) -> Bool {
        let id = pack.digest
        switch self {
        case .none:
            return false
        case .all:
            return true
        case .slice(let slice, let count):
            return Self.remainder(of: id, dividedBy: UInt64(count)) == UInt64(slice - 1)
        case .percent(let percent):
            let threshold = percent / 100 * 18_446_744_073_709_551_616.0  // 2^64 · percent/100
            return threshold >= 18_446_744_073_709_551_615.0 || id.words.0 < UInt64(threshold.rounded(.down))
        }
    }

    /// Whether any pack is read.
    package var readsData: Bool { self != .none }

    /// The ID as a 256-bit big-endian number, modulo `divisor`.
    private static func remainder(of id: Digest256, dividedBy divisor: UInt64) -> UInt64 {
        var remainder: UInt64 = 0
        for word in [id.words.0, id.words.1, id.words.2, id.words.3] {
            remainder = divisor.dividingFullWidth((high: remainder, low: word)).remainder
        }
        return remainder
    }

    package var description: String {
        switch self {
        case .none: "none"
        case .all: "all"
        case .slice(let slice, let count): "\(slice)/\(count)"
        case .percent(let percent): "\(percent)%"
        }
    }
}
