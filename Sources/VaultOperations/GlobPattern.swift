import Glibc

/// A shell glob that `vault find` matches entries against, with the
/// semantics of `--exclude` (``ExcludeRules``): `*`, `?` and `[…]` as
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
    private let cPattern: [CChar]

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
        cPattern = Array(trimmed.utf8CString)
    }

    /// glibc's `FNM_CASEFOLD` (`1 << 4`), which the Glibc module leaves out:
    /// `<fnmatch.h>` declares it only under `_GNU_SOURCE`.
    private static let caseFold: Int32 = 1 << 4

    /// Whether the entry with this name at this absolute path matches.
    package func matches(name: [UInt8], path: [UInt8]) -> Bool {
        let subject = matchesPaths ? path : name
        guard !subject.contains(0) else { return false }
        let flags = FNM_PERIOD | (ignoresCase ? Self.caseFold : 0)
        return (subject + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cSubject in
                fnmatch(cPattern, cSubject.baseAddress!, flags) == 0
            }
        }
    }
}
