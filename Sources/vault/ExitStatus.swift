import ArgumentParser
import VaultOperations
import VaultRepository
import VaultStorage

/// vault's exit codes, documented in README.md. They follow restic's where
/// the two overlap.
enum ExitStatus: Int32 {
    /// Everything worked.
    case success = 0
    /// A fatal error.
    case failure = 1
    /// A backup finished but some files could not be read.
    case incomplete = 3
    /// `verify` found damage.
    case damageFound = 4
    /// A backup finished, but the snapshot is suspect of capturing a ransomware attack.
    case suspect = 5
    /// There is no repository at the location.
    case noRepository = 10
    /// The repository is locked.
    case locked = 11
    /// The password opens no key.
    case wrongPassword = 12
    /// The command line is wrong (ArgumentParser's usage code).
    case usage = 64
    /// Interrupted by Ctrl-C or SIGTERM.
    case interrupted = 130
}

/// A bad argument the command noticed itself (a size that is not one, a
/// missing option): exit code 64, like ArgumentParser's own usage errors.
struct UsageError: Error, CustomStringConvertible {
    /// One line saying what is wrong and what to give instead.
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

/// How the command line reports an error that ends a command: lines on
/// standard error, each starting with `vault:`, and an exit status
/// (README, "Exit codes"). Every error that reaches `Vault.main` goes
/// through here, and only here.
struct FailureReport {
    /// The lines for standard error (without `vault: `).
    var lines: [String]
    /// Text for standard output instead (`--help`, `--version`).
    var standardOutput: String?
    /// The exit status.
    var status: Int32

    init(lines: [String], standardOutput: String? = nil, status: ExitStatus) {
        self.init(lines: lines, standardOutput: standardOutput, status: status.rawValue)
    }

    init(lines: [String], standardOutput: String? = nil, status: Int32) {
        self.lines = lines
        self.standardOutput = standardOutput
        self.status = status
    }

    /// The report for `error`.
    init(_ error: any Error) {
        switch error {
        case let error as RepositoryError:
            self.init(lines: [error.message], status: Self.status(of: error.code))
        case let error as OperationError:
            self.init(lines: [error.code == .interrupted ? "interrupted" : error.message], status: Self.status(of: error.code))
        case let error as UsageError:
            self.init(lines: [error.message], status: .usage)
        case let error as StorageError:
            self.init(lines: [error.message], status: .failure)
        case let error as ExitCode:
            // The command has said what went wrong (or nothing went wrong).
            self.init(lines: [], status: error.rawValue)
        default:
            self.init(argumentParserError: error)
        }
    }

    /// ArgumentParser's own errors (usage, `--help`), and anything else.
    private init(argumentParserError error: any Error) {
        let status = Vault.exitCode(for: error).rawValue
        if status == ExitStatus.success.rawValue {
            self.init(lines: [], standardOutput: Vault.fullMessage(for: error), status: status)
            return
        }
        var lines = Vault.message(for: error).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if lines.first?.hasPrefix("Error: ") == true, let first = lines.first {
            lines[0] = String(first.dropFirst("Error: ".count))
        }
        if status == ExitStatus.usage.rawValue {
            lines.append("see 'vault --help' and 'vault COMMAND --help'")
        }
        self.init(lines: lines.isEmpty ? ["\(error)"] : lines, status: status)
    }

    /// The exit status of a repository error.
    static func status(of code: RepositoryError.Code) -> ExitStatus {
        switch code {
        case .notARepository: .noRepository
        case .locked: .locked
        case .wrongPassword: .wrongPassword
        case .invalidRequest, .passwordRequired, .unsupportedVersion, .damaged, .storage: .failure
        }
    }

    /// The exit status of an operation error.
    static func status(of code: OperationError.Code) -> ExitStatus {
        switch code {
        case .interrupted: .interrupted
        case .invalidArgument: .usage
        case .noSource, .snapshotNotFound, .pathNotFound, .targetFailed: .failure
        }
    }

    /// Writes the lines (or the text for standard output).
    func emit() {
        if let standardOutput {
            print(standardOutput)
        }
        for line in lines {
            StandardError.line("vault: " + line)
        }
    }
}

extension ExitCode {
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}
