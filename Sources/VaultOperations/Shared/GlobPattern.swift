import VaultPOSIX

/// A shell glob: the one matcher `vault find`, `backup --exclude` and
/// `restore --include/--exclude` (through ``ExcludeRules``) share: `*`, `?` and `[…]` as
/// `fnmatch(3)` with `FNM_PERIOD` (a leading `.` must be matched
/// explicitly). A pattern without `/` matches an entry's name, wherever the
/// entry is; a pattern with `/` matches the entry's whole absolute path,
/// and its `*` crosses `/` (`/home/*/notes.txt` also matches
/// `/home/ada/old/notes.txt`).
package struct GlobPattern: Sendable, Hashable {
    /// The pattern as given.
    package let text: String
    /// Whether the pattern matches whole paths (it holds a `/`) rather than names.
    package let matchesPaths: Bool
    /// Whether case is ignored.
    package let ignoresCase: Bool
    private let matcher: FileNameMatch

    /// Parses a pattern.
    ///
    /// - Parameters:
    ///   - text: The glob. A trailing `/` is dropped (`build/` is `build`).
    ///   - ignoresCase: Whether letters match either case (`FNM_CASEFOLD`).
    /// - Throws: ``OperationError`` with code `.invalidArgument` for an empty pattern.
    package init(_ text: String, ignoresCase: Bool = false) throws(OperationError) {
        let trimmed = text.hasSuffix("/") && text.count > 1 ? String(text.dropLast()) : text
        guard !trimmed.isEmpty else {
            throw OperationError(.invalidArgument, "the pattern is empty")
        }
        self.text = text
        matchesPaths = trimmed.contains("/")
        self.ignoresCase = ignoresCase
        matcher = FileNameMatch(trimmed, ignoresCase: ignoresCase)
    }

    /// Whether the entry with this name at this absolute path matches.
    package func matches(name: [UInt8], path: [UInt8]) -> Bool {
        matcher.matches(matchesPaths ? path : name)
    }
}
