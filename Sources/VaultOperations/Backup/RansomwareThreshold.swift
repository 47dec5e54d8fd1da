/// When the ransomware check marks a snapshot suspect: at least
/// ``minimumFiles`` suspicious files AND at least ``minimumPercent`` percent
/// of the files the backup examined (new or changed).
///
/// Written `N,P%` on the command line (`--ransomware-threshold 50,20%`,
/// the default); the `%` may be left out.
package struct RansomwareThreshold: Sendable, Hashable, CustomStringConvertible {
    /// The fewest suspicious files that raise the alarm.
    package var minimumFiles: Int
    /// The smallest share of examined files, in percent (0 to 100).
    package var minimumPercent: Double

    /// The documented default: 50 files and 20%.
    package static let `default` = RansomwareThreshold(minimumFiles: 50, minimumPercent: 20)

    /// Creates a threshold.
    package init(minimumFiles: Int, minimumPercent: Double) {
        self.minimumFiles = minimumFiles
        self.minimumPercent = minimumPercent
    }

    /// Parses `N,P%` or `N,P`: N a whole number from 1, P a number from 0 to 100.
    ///
    /// - Throws: ``OperationError`` with code `.invalidArgument`.
    package init(parsing text: String) throws(OperationError) {
        let invalid = OperationError(.invalidArgument, "invalid ransomware threshold '\(text)': give N,P% (at least N files and P percent of the changed files), for example 50,20%")
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid }
        var percentText = parts[1].trimmingPrefix(" ")
        if percentText.last == "%" { percentText = percentText.dropLast() }
        guard let files = Int(parts[0]), files >= 1, files <= 1_000_000_000,
            !percentText.isEmpty, percentText.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let percent = Double(percentText), percent.isFinite, percent >= 0, percent <= 100
        else { throw invalid }
        self.init(minimumFiles: files, minimumPercent: percent)
    }

    /// Whether `suspicious` files out of `examined` raise the alarm.
    package func isPassed(suspicious: Int, examined: Int) -> Bool {
        guard suspicious >= minimumFiles, examined > 0 else { return false }
        return Double(suspicious) * 100 >= minimumPercent * Double(examined)
    }

    /// `N,P%`, as parsed.
    package var description: String {
        let percent = minimumPercent.rounded() == minimumPercent ? String(Int(minimumPercent)) : String(minimumPercent)
        return "\(minimumFiles),\(percent)%"
    }
}
