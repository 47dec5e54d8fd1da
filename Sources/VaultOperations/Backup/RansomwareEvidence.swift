import VaultRepository

/// What a backup saw of one file whose contents it read, for the ransomware check.
package struct RansomwareObservation: Sendable, Hashable {
    /// The file's name in its directory.
    package var name: [UInt8]
    /// How the previous version at the same path compressed, or `nil` when
    /// the path is new (not a file in the parent snapshot).
    package var previous: Compressibility?
    /// The new version's first bytes and compressibility.
    package var sample: ContentSample

    /// Creates an observation.
    package init(name: [UInt8], previous: Compressibility?, sample: ContentSample) {
        self.name = name
        self.previous = previous
        self.sample = sample
    }
}

/// A file of the parent snapshot that is gone from its directory: the
/// other half of a rename.
package struct RansomwareRemovedFile: Sendable, Hashable {
    /// The file's name in its directory.
    package var name: [UInt8]
    /// How it compressed.
    package var previous: Compressibility

    /// Creates a removed file.
    package init(name: [UInt8], previous: Compressibility) {
        self.name = name
        self.previous = previous
    }
}

/// Gathers, file by file as a backup reads them, the signs that files were
/// encrypted in place, and decides whether the snapshot is suspect.
///
/// A file whose contents changed (or a new file that takes the place of a
/// removed one: a rename) is **suspicious** when
/// - its previous version compressed and the new one does not, or
/// - its first bytes no longer match the magic number its (previous)
///   extension promises and the new contents do not compress, or a text
///   extension's contents no longer compress, or
/// - it was renamed to a new extension that at least
///   ``minimumSharedRenames`` renames share (`x.docx` → `x.docx.locked`,
///   `x.pdf` → `x.locked`), and the new contents do not compress.
///
/// A rename is a new file in a directory that lost a file whose name is the
/// new name without its trailing extensions, or whose name has the same stem
/// and another extension. New files that pair with nothing carry no sign:
/// new photos and archives never raise an alarm.
///
/// Memory stays bounded: changed files are judged at once, new files wait
/// only until their directory is finished (``finishDirectory(_:removed:)``),
/// and only counts and up to ``maximumExamples`` paths are kept.
package struct RansomwareEvidence: Sendable {
    /// Example paths kept.
    package static let maximumExamples = 20
    /// Renames to one extension needed before the extension counts as shared.
    package static let minimumSharedRenames = 5
    /// Distinct rename extensions tallied; more (random extensions) are ignored.
    static let maximumRenameExtensions = 10_000

    /// The counts and examples so far; rename-only signs are added by ``suspicion``.
    private var counts = SnapshotSuspicion()
    /// Renames with incompressible contents, by new extension (lowercase).
    private var renames: [String: RenameTally] = [:]
    /// New files of unfinished directories (directory path ending in `/` → files).
    private var pendingNewFiles: [[UInt8]: [RansomwareObservation]] = [:]

    private struct RenameTally: Sendable {
        /// Renames to this extension with incompressible contents.
        var count = 0
        /// Those that showed no other sign.
        var onlyRenamed = 0
        /// Paths of those, for examples.
        var examples: [String] = []
    }

    /// Creates an empty record.
    package init() {}

    /// Records a file the backup read.
    ///
    /// - Parameters:
    ///   - observation: The file.
    ///   - directory: The path of its directory.
    package mutating func record(_ observation: RansomwareObservation, inDirectory directory: [UInt8]) {
        let directory = Self.directoryKey(directory)
        if let previous = observation.previous {
            judge(path: directory + observation.name, signatureName: observation.name, previous: previous, sample: observation.sample)
        } else {
            pendingNewFiles[directory, default: []].append(observation)
        }
    }

    /// Pairs a finished directory's new files with the files it lost (renames) and judges them.
    ///
    /// - Parameters:
    ///   - directory: The directory's path.
    ///   - removed: The files of the parent snapshot's directory that are gone.
    package mutating func finishDirectory(_ directory: [UInt8], removed: [RansomwareRemovedFile]) {
        let directory = Self.directoryKey(directory)
        guard let newFiles = pendingNewFiles.removeValue(forKey: directory) else { return }
        var byName: [[UInt8]: RansomwareRemovedFile] = [:]
        var byStem: [[UInt8]: [RansomwareRemovedFile]] = [:]
        for file in removed {
            byName[file.name] = file
            if let dot = file.name.lastIndex(of: UInt8(ascii: ".")), dot > 0 {
                byStem[Array(file.name[..<dot]), default: []].append(file)
            }
        }
        var used = Set<[UInt8]>()
        for file in newFiles {
            let path = directory + file.name
            guard let original = Self.original(of: file.name, byName: byName, byStem: byStem, used: used) else {
                counts.filesExamined += 1
                continue
            }
            used.insert(original.name)
            let otherSigns = judge(path: path, signatureName: original.name, previous: original.previous, sample: file.sample)
            guard file.sample.compressibility == .incompressible, let newExtension = Self.finalExtension(of: file.name) else { continue }
            if renames[newExtension] == nil, renames.count >= Self.maximumRenameExtensions { continue }
            var tally = renames[newExtension] ?? RenameTally()
            tally.count += 1
            if !otherSigns {
                tally.onlyRenamed += 1
                if tally.examples.count < Self.maximumExamples {
                    tally.examples.append(PrintablePath.escape(path))
                }
            }
            renames[newExtension] = tally
        }
    }

    /// The counts and examples, every directory finished (those never
    /// finished count as having lost no files).
    package func suspicion() -> SnapshotSuspicion {
        var copy = self
        for directory in copy.pendingNewFiles.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            copy.finishDirectory(directory, removed: [])
        }
        var result = copy.counts
        let shared = copy.renames.filter { $0.value.count >= Self.minimumSharedRenames }
            .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        for (_, tally) in shared {
            result.renamed += tally.count
            result.filesSuspicious += tally.onlyRenamed
            for example in tally.examples where result.examples.count < Self.maximumExamples {
                result.examples.append(example)
            }
        }
        result.renamedTo = shared.prefix(5).map(\.key)
        return result
    }

    /// The suspicion when it passes `threshold`, else `nil`.
    package func verdict(_ threshold: RansomwareThreshold) -> SnapshotSuspicion? {
        let suspicion = suspicion()
        return threshold.isPassed(suspicious: suspicion.filesSuspicious, examined: suspicion.filesExamined) ? suspicion : nil
    }

    // MARK: Judging one file

    /// Judges one file against its previous version; returns whether it showed a sign.
    @discardableResult
    private mutating func judge(path: [UInt8], signatureName: [UInt8], previous: Compressibility, sample: ContentSample) -> Bool {
        counts.filesExamined += 1
        let becameIncompressible = previous == .compressible && sample.compressibility == .incompressible
        let mismatch = Self.contradictsSignature(name: signatureName, sample: sample)
        if becameIncompressible { counts.becameIncompressible += 1 }
        if mismatch { counts.signatureMismatches += 1 }
        guard becameIncompressible || mismatch else { return false }
        counts.filesSuspicious += 1
        if counts.examples.count < Self.maximumExamples {
            counts.examples.append(PrintablePath.escape(path))
        }
        return true
    }

    /// Whether new contents contradict what a file name's extension promises.
    ///
    /// Only incompressible contents count: a short lock file named
    /// `~$report.docx` or a text file saved as `.pdf` is no sign.
    static func contradictsSignature(name: [UInt8], sample: ContentSample) -> Bool {
        guard sample.compressibility == .incompressible, let signature = ContentSignature.expected(forName: name) else { return false }
        return !signature.matches(head: sample.head, compressibility: sample.compressibility)
    }

    // MARK: Renames

    /// The removed file a new file was renamed from, if any.
    private static func original(
        of name: [UInt8], byName: [[UInt8]: RansomwareRemovedFile], byStem: [[UInt8]: [RansomwareRemovedFile]], used: Set<[UInt8]>
    ) -> RansomwareRemovedFile? {
        guard !byName.isEmpty else { return nil }
        // Appended extensions: x.docx.locked, x.docx.id-1234.crypt (the longest original first).
        for dot in name.indices.reversed() where dot > 0 && name[dot] == UInt8(ascii: ".") {
            if let original = byName[Array(name[..<dot])], !used.contains(original.name) {
                return original
            }
        }
        // A replaced extension: x.pdf → x.locked.
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > 0 else { return nil }
        let newExtension = name[(dot + 1)...]
        return byStem[Array(name[..<dot])]?.first { candidate in
            guard !used.contains(candidate.name), let candidateDot = candidate.name.lastIndex(of: UInt8(ascii: ".")) else { return false }
            return !candidate.name[(candidateDot + 1)...].elementsEqual(newExtension)
        }
    }

    /// The part of a name after its last `.`, lowercase; `nil` without one.
    static func finalExtension(of name: [UInt8]) -> String? {
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > 0, dot < name.count - 1 else { return nil }
        return PrintablePath.escape(name[(dot + 1)...]).lowercased()
    }

    /// A directory path ending in one `/`.
    private static func directoryKey(_ directory: [UInt8]) -> [UInt8] {
        directory.last == UInt8(ascii: "/") ? directory : directory + [UInt8(ascii: "/")]
    }
}
