import Glibc

/// Patterns of paths to leave out of a backup, as `--exclude` and
/// `--exclude-file` give them.
///
/// A pattern is a shell glob (`*`, `?`, `[…]`, as `fnmatch(3)`). A pattern
/// without `/` matches an entry's name anywhere (`*.tmp`, `node_modules`);
/// a pattern with `/` matches the whole absolute path (`/home/*/Downloads`).
/// A leading `!` is not supported; blank lines and lines starting with `#`
/// in exclude files are ignored.
package struct ExcludeRules: Sendable {
    private var namePatterns: [[CChar]] = []
    private var pathPatterns: [[CChar]] = []

    /// No exclusions.
    package init() {}

    /// Whether there are no patterns.
    package var isEmpty: Bool { namePatterns.isEmpty && pathPatterns.isEmpty }

    /// Adds a pattern.
    ///
    /// - Throws: ``OperationError`` for an empty pattern.
    package mutating func add(_ pattern: String) throws(OperationError) {
        let trimmed = pattern.hasSuffix("/") && pattern.count > 1 ? String(pattern.dropLast()) : pattern
        guard !trimmed.isEmpty else {
            throw OperationError(.invalidArgument, "an exclude pattern is empty")
        }
        if trimmed.contains("/") {
            pathPatterns.append(Array(trimmed.utf8CString))
        } else {
            namePatterns.append(Array(trimmed.utf8CString))
        }
    }

    /// Adds the patterns of an exclude file's text, one per line.
    package mutating func add(fileContents text: String) throws(OperationError) {
        for line in text.split(whereSeparator: \.isNewline) {
            let pattern = line.trimmingCharacters(inSet: " \t")
            if pattern.isEmpty || pattern.hasPrefix("#") { continue }
            try add(pattern)
        }
    }

    /// Whether the entry with this name at this absolute path is excluded.
    package func excludes(name: [UInt8], path: [UInt8]) -> Bool {
        guard !isEmpty else { return false }
        if !namePatterns.isEmpty, Self.matchesAny(namePatterns, name) { return true }
        if !pathPatterns.isEmpty, Self.matchesAny(pathPatterns, path) { return true }
        return false
    }

    private static func matchesAny(_ patterns: [[CChar]], _ subject: [UInt8]) -> Bool {
        guard !subject.contains(0) else { return false }
        return (subject + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cSubject in
                patterns.contains { pattern in fnmatch(pattern, cSubject.baseAddress!, FNM_PERIOD) == 0 }
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(inSet set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
