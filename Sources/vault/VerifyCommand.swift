import ArgumentParser
import Synchronization
import VaultOperations
import VaultRepository
import VaultPOSIX

/// `vault verify`: proves the repository intact, or says exactly what is lost.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the repository, and name every file that damage has made unrestorable.",
        discussion: """
            Without options, verify checks the structure and reads no pack contents: key files \
            match their names; every index file loads; every pack the index names exists with the \
            recorded size and a header listing the same blobs; every snapshot loads; every tree of \
            every snapshot loads; and every chunk they name is in the index.

            --read-data also reads every pack whole: its SHA-256 must be its name, and every blob \
            in it must decrypt, decompress and hash to its ID. --read-data-subset reads a part: \
            'K/M' reads the packs whose ID modulo M is K-1, so running 1/M through M/M (say one a \
            day) reads every pack exactly once; 'N%' reads the packs whose ID falls in the first N \
            percent of the ID space. Both choose by pack ID, so a slice is the same on every run.

            Output: one line per problem, e.g.
              pack 47d0a1b2: contents do not match its name (their SHA-256 is 0c5f3e21)
              chunk 9c1e44f0 in pack 47d0a1b2: damaged: AES-256-GCM tag mismatch: …
            then one line per file or directory a snapshot can no longer restore:
              snapshot 3f2a1b0c: /srv/thesis.tex (chunk 9c1e44f0: in pack 47d0a1b2: AES-256-GCM …)
            and a summary: 'no errors were found' or 'N problems found; M files in K snapshots \
            affected'. Lines starting with 'note:' are harmless (a pack an interrupted backup left \
            unindexed, a blob stored twice). With --json, standard output holds one JSON object per \
            line: each finding ("type": "error" or "note"), each affected path ("type": \
            "affected"), then a summary ("type": "summary").

            Exit status: 0 when no damage was found, 4 when some was, and the usual codes when \
            verify cannot run (1 error, 10 no repository, 11 locked, 12 wrong password). verify \
            holds a shared lock while it runs; on read-only media it goes on without one after a \
            warning, and --no-lock skips it (--repair-from always locks: it writes).
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Flag(help: "Also read every pack whole and check every blob.")
    var readData = false

    @Option(help: ArgumentHelp("Read only a part of the packs: K/M (slice K of M) or N% (e.g. 10%).", valueName: "subset"))
    var readDataSubset: String?

    @Flag(help: "Print the findings as newline-delimited JSON objects, and nothing else, on standard output.")
    var json = false

    @Option(help: ArgumentHelp("Replace every damaged or missing object with the copy in this mirror (checked by its hash first).", valueName: "mirror"))
    var repairFrom: String?

    func validate() throws {
        if readData, readDataSubset != nil {
            throw ValidationError("give either --read-data or --read-data-subset, not both")
        }
        if let readDataSubset {
            do {
                _ = try VerifyDataSelection(parsing: readDataSubset)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    func run() async throws {
        let selection: VerifyDataSelection = if let readDataSubset {
            try VerifyDataSelection(parsing: readDataSubset)
        } else {
            readData ? .all : .none
        }
        let opened = try await repository.openRepository()
        let display = VerifyProgressLine(isEnabled: StandardError.isTerminal)
        let report: VerifyReport
        if let repairFrom {
            let mirror = try RepositoryLocation(repairFrom).openStorage()
            let outcome = try await RepositoryRepair(repository: opened, mirror: mirror, readData: selection).run { display.show($0) }
            display.clear()
            if !json {
                for finding in outcome.before.problems {
                    print(PrintablePath.terminalSafe("found: \(finding)"))
                }
                for name in outcome.repaired {
                    print("repaired \(name) from \(repairFrom)")
                }
                for (name, reason) in outcome.unrepairable {
                    print("cannot repair \(name): \(reason)")
                }
                print(outcome.before.hasDamage || !outcome.repaired.isEmpty ? "after the repair:" : "nothing to repair:")
            }
            report = outcome.after
        } else {
            var verifier = RepositoryVerifier(repository: opened, readData: selection)
            verifier.locking = locking.policy
            report = try await verifier.run { display.show($0) }
            display.clear()
        }

        var output = ""
        func emit(_ line: String) {
            output += line
            output += "\n"
            if output.utf8.count >= 1 << 16 {
                print(output, terminator: "")
                output = ""
            }
        }
        if json {
            report.jsonLines.forEach(emit)
        } else {
            // Paths come from the repository: no control character reaches the terminal.
            report.findings.forEach { emit(PrintablePath.terminalSafe($0.description)) }
            report.affected.forEach { emit(PrintablePath.terminalSafe($0.description)) }
            emit(report.summary)
        }
        print(output, terminator: "")
        if report.hasDamage {
            throw ExitCode(.damageFound)
        }
    }
}

/// A one-line progress display on a terminal's standard error, redrawn at most ten times a second.
final class VerifyProgressLine: Sendable {
    private let isEnabled: Bool
    private let lastDrawn = Mutex<ContinuousClock.Instant?>(nil)

    init(isEnabled: Bool) {
        self.isEnabled = isEnabled
    }

    /// Redraws the line, unless it was drawn less than 0.1 s ago.
    func show(_ progress: VerifyProgress) {
        guard isEnabled else { return }
        let now = ContinuousClock.now
        let due = lastDrawn.withLock { last in
            guard last.map({ now - $0 >= .milliseconds(100) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        var text: String
        switch progress.phase {
        case .index: text = "reading the index"
        case .packs: text = "checking packs \(progress.completed)/\(progress.total ?? 0)"
        case .trees: text = "checking trees: \(progress.completed)"
        }
        if progress.bytesRead > 0 {
            text += ", \(progress.bytesRead >> 20) MiB read"
        }
        Self.write("\r\u{1B}[K" + text)
    }

    /// Erases the line.
    func clear() {
        guard isEnabled else { return }
        Self.write("\r\u{1B}[K")
    }

    /// Writes text to standard error without a newline.
    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { FileDescriptor.standardError.writeIgnoringErrors(UnsafeRawBufferPointer($0)) }
    }
}
