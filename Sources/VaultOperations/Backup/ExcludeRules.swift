/// Patterns of paths to leave out of a backup, as `--exclude` and
/// `--exclude-file` give them.
///
/// A pattern is a ``GlobPattern`` (`*`, `?`, `[…]`, as `fnmatch(3)`). A pattern
/// without `/` matches an entry's name anywhere (`*.tmp`, `node_modules`);
/// a pattern with `/` matches the whole absolute path (`/home/*/Downloads`).
/// A leading `!` is not supported; blank lines and lines starting with `#`
/// in exclude files are ignored.
package struct ExcludeRules: Sendable {
    private var patterns: [GlobPattern] = []

    /// No exclusions.
    package init() {}

    /// Whether there are no patterns.
    package var isEmpty: Bool { patterns.isEmpty }

    /// Adds a pattern.
    ///
    /// - Throws: ``OperationError`` for an empty pattern.
    package mutating func add(_ pattern: String) throws(OperationError) {
        do {
            patterns.append(try GlobPattern(pattern))
        } catch {
            throw OperationError(.invalidArgument, "an exclude pattern is empty")
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
        patterns.contains { $0.matches(name: name, path: path) }
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
