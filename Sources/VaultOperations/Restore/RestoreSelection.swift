/// Which entries of a snapshot a restore writes: `--include` and
/// `--exclude` patterns.
///
/// Patterns are the globs of ``ExcludeRules``: without `/` a pattern
/// matches an entry's name at any depth, with `/` it matches the entry's
/// absolute path in the snapshot (`/home/ada/*.txt`). An excluded entry is
/// left out with everything below it. With include patterns, only entries
/// that match one, and everything below them, are restored, together with
/// the directories that lead to them.
package struct RestoreSelection: Sendable {
    private var includes = ExcludeRules()
    private var excludes = ExcludeRules()

    /// Selects every entry.
    package init() {}

    /// Whether every entry not excluded is restored (there is no include pattern).
    package var includesEverything: Bool { includes.isEmpty }

    /// Adds an include pattern.
    ///
    /// - Throws: ``OperationError`` with code `.invalidArgument` for an empty pattern.
    package mutating func include(_ pattern: String) throws(OperationError) {
        guard !pattern.isEmpty else {
            throw OperationError(.invalidArgument, "an include pattern is empty")
        }
        try includes.add(pattern)
    }

    /// Adds an exclude pattern.
    ///
    /// - Throws: ``OperationError`` with code `.invalidArgument` for an empty pattern.
    package mutating func exclude(_ pattern: String) throws(OperationError) {
        try excludes.add(pattern)
    }

    /// Whether the entry is left out, with everything below it.
    ///
    /// - Parameters:
    ///   - name: The entry's name.
    ///   - path: Its absolute path in the snapshot.
    package func excludes(name: [UInt8], path: [UInt8]) -> Bool {
        excludes.excludes(name: name, path: path)
    }

    /// Whether the entry matches an include pattern itself (true for every
    /// entry when there is none).
    ///
    /// - Parameters:
    ///   - name: The entry's name.
    ///   - path: Its absolute path in the snapshot.
    package func includes(name: [UInt8], path: [UInt8]) -> Bool {
        includes.isEmpty || includes.excludes(name: name, path: path)
    }
}
