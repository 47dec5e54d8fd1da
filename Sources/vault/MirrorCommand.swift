import ArgumentParser
import Foundation
import VaultOperations
import VaultRepository
import VaultStorage

/// `vault mirror`: replicates the repository to a second location.
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Make DEST a complete, verified copy of the repository (a removable drive, a second disk).",
        discussion: """
            Copies only what DEST lacks, checks every copied object against its name (its SHA-256), and \
            writes objects atomically in the order packs, index files, snapshots, so DEST is a consistent \
            repository at every instant: a mirror interrupted in any way resumes on the next run. DEST is a \
            repository on its own: 'vault -r DEST snapshots|restore|verify' work without the source.

            DEST must exist (an unplugged drive's mount point is refused; --create makes the folder). A DEST \
            holding another repository, or files that are not a repository, is refused. Objects the source \
            no longer has (forgotten snapshots, pruned packs) are removed from DEST only with --delete, and \
            only after the source passed a structural verify in the same run; a DEST holding snapshots the \
            source does not know is refused without --delete.

            --verify verifies DEST's structure after copying; --verify=read-data reads all of DEST's data. An \
            object the verify finds damaged in DEST is replaced from the source (checked by its name) and \
            DEST verified again.

            DEST may not be the repository itself, a folder inside it, or a folder holding it. The source \
            is read under a shared lock (without one on read-only media, after a warning; --no-lock skips \
            it); DEST is written under a shared lock, an exclusive one with --delete.
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Argument(help: "Where the mirror is: a folder.")
    var destination: String

    @Flag(help: "Remove from DEST what the source no longer has (after a structural verify of the source).")
    var delete = false

    @Flag(help: "Verify DEST's structure afterwards.")
    var verify = false

    @Flag(help: .hidden)
    var verifyReadData = false

    @Flag(help: "Only say what would be copied and removed.")
    var dryRun = false

    @Flag(help: "Create DEST if it does not exist.")
    var create = false

    /// `--verify=read-data` is spelled that way on the command line; ArgumentParser flags take no value.
    static func rewrite(_ arguments: [String]) -> [String] {
        guard arguments.first == "mirror" else { return arguments }
        return arguments.map { $0 == "--verify=read-data" ? "--verify-read-data" : $0 }
    }

    func run() async throws {
        try Self.checkPlacement(source: try repository.location().text, destination: destination)
        let location = try RepositoryLocation(destination)
        if !verify && !verifyReadData, let (summary, seconds) = await Self.unchangedSummary(source: repository, destination: location) {
            // Nothing to copy or remove, and no lock on either side: decided without the key (RepositoryMirror.unchangedSummary).
            print(summaryLine(summary, seconds: seconds))
            return
        }
        let (source, password) = try await repository.openRepositoryAndPassword()
        // A dry run creates nothing, not even DEST.
        let target = try await location.openMirrorDestination(create: create && !dryRun)
        let sourceLock = locking.policy
        var options = RepositoryMirror.Options()
        options.delete = delete
        options.dryRun = dryRun
        options.sourceLock = sourceLock
        let interrupt = InterruptHandler.install()
        let display = MirrorProgressLine(isEnabled: StandardError.isTerminal)
        let started = ContinuousClock.now
        let mirror = RepositoryMirror(source: source, destination: target, options: options, interrupt: interrupt) { display.show($0) }
        let summary = try await mirror.run {
            var verifier = RepositoryVerifier(repository: source)
            verifier.locking = sourceLock
            let report = try await verifier.run()
            guard !report.hasDamage else {
                throw OperationError(.targetFailed, "the source failed its structural verify (\(report.problems.count) problems): nothing was removed from the mirror; run 'vault verify'")
            }
        }
        display.clear()
        let seconds = (ContinuousClock.now - started).seconds
        print(summaryLine(summary, seconds: seconds))
        if summary.totalExtra > 0 {
            print("\(destination) holds \(summary.totalExtra) object\(summary.totalExtra == 1 ? "" : "s") the source no longer has "
                + "(pruned packs, replaced index files): 'vault mirror --delete' would remove them")
        }
        for name in summary.replaced {
            StandardError.line("vault: \(name) differed in the mirror and \(dryRun ? "would be" : "was") replaced")
        }
        for (name, reason) in summary.notReplaced.sorted(by: { $0.key < $1.key }) {
            StandardError.line("vault: \(name) differs in the mirror and could not be replaced: \(reason)")
        }
        for name in summary.damagedInSource {
            StandardError.line("vault: \(name) is damaged in the source (does not match its name) and was not copied; run 'vault verify'")
        }
        var status: ExitStatus = summary.damagedInSource.isEmpty ? .success : .damageFound
        if !summary.notReplaced.isEmpty {
            status = .failure
        }
        if (verify || verifyReadData) && !dryRun {
            // The mirror has the same key files: the same password opens it. When it holds the very key file
            // that password opened in the source (same bytes), the source's keys open it without a second scrypt.
            let mirrored: Repository
            if let reused = await source.openCopy(at: target) {
                mirrored = reused
            } else {
                mirrored = try await Repository.open(target) { () throws(RepositoryError) in
                    guard let password else { throw RepositoryError(.damaged, "the mirror is encrypted but the source is not") }
                    return password
                }
            }
            let verifier = RepositoryVerifier(repository: mirrored, readData: verifyReadData ? .all : .none)
            var report = try await verifier.run()
            let damaged = RepositoryMirror.damagedObjects(in: report)
            if !damaged.isEmpty {
                // Damage in the mirror that the source does not share: replace it from the source and look again.
                let repair = try await mirror.replace(damaged)
                for name in repair.replaced {
                    StandardError.line("vault: \(name) was damaged in the mirror and was replaced from the source")
                }
                for (name, reason) in repair.failed.sorted(by: { $0.key < $1.key }) {
                    StandardError.line("vault: \(name) is damaged in the mirror and could not be replaced: \(reason)")
                }
                if !repair.replaced.isEmpty {
                    report = try await verifier.run()
                }
            }
            report.findings.forEach { print(PrintablePath.terminalSafe($0.description)) }
            report.affected.forEach { print(PrintablePath.terminalSafe($0.description)) }
            print("mirror: \(report.summary)")
            if report.hasDamage, status == .success {
                status = .damageFound
            }
        }
        if status != .success {
            throw ExitCode(status)
        }
    }

    /// The summary of a mirror with nothing to do, decided from listings
    /// alone, and how long that took; `nil` when a full run is needed
    /// (either location cannot be opened as it is, holds a lock, or differs).
    static func unchangedSummary(source: RepositoryOptions, destination: RepositoryLocation) async -> (RepositoryMirror.Summary, seconds: Double)? {
        let started = ContinuousClock.now
        // Neither is written to; a missing, empty or foreign destination is left to the full run.
        guard let sourceStorage = try? source.location().openStorage(), let destinationStorage = await destination.openExistingMirrorDestination(),
              let summary = await RepositoryMirror.unchangedSummary(source: sourceStorage, destination: destinationStorage) else { return nil }
        return (summary, (ContinuousClock.now - started).seconds)
    }

    /// The line that says what the run copied and removed (or would have).
    func summaryLine(_ summary: RepositoryMirror.Summary, seconds: Double) -> String {
        "\(dryRun ? "would copy" : "copied") \(summary.totalCopied) objects (\(ByteCount.format(summary.bytesCopied))), \(summary.unchanged) already there"
            + (delete ? ", \(dryRun ? "would remove" : "removed") \(summary.totalDeleted)" : "")
            + (dryRun ? "" : String(format: " in %.2f s", seconds))
    }

    /// Refuses a mirror onto the source itself, into a folder inside it, or
    /// around it: each copy would hold the other.
    ///
    /// - Throws: ``UsageError``.
    static func checkPlacement(source: String, destination: String) throws(UsageError) {
        let from = canonicalPath(source)
        let to = canonicalPath(destination)
        if from == to {
            throw UsageError("\(destination) is the repository itself: a mirror must be another folder")
        }
        if to.hasPrefix(from.hasSuffix("/") ? from : from + "/") {
            throw UsageError("\(destination) is inside the repository \(source): a mirror must be outside it")
        }
        if from.hasPrefix(to.hasSuffix("/") ? to : to + "/") {
            throw UsageError("\(destination) holds the repository \(source): a mirror must be outside it")
        }
    }

    /// The absolute path with `.`, `..` and symbolic links resolved; the
    /// parts that do not exist yet are appended as given.
    static func canonicalPath(_ path: String) -> String {
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var missing: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            missing.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        var resolved = existing.path
        if let real = realpath(existing.path, nil) {
            resolved = String(cString: real)
            free(real)
        }
        for component in missing {
            resolved += resolved.hasSuffix("/") ? component : "/" + component
        }
        return resolved
    }
}

/// One progress line for a mirror on a terminal.
final class MirrorProgressLine: Sendable {
    private let isEnabled: Bool

    init(isEnabled: Bool) {
        self.isEnabled = isEnabled
    }

    func show(_ progress: RepositoryMirror.Progress) {
        guard isEnabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[Kcopied \(progress.objects)/\(progress.totalObjects) objects, \(ByteCount.format(progress.bytes)) of \(ByteCount.format(progress.totalBytes))".utf8))
    }

    func clear() {
        guard isEnabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
