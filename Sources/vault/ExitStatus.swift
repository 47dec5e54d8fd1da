import ArgumentParser
import VaultOperations
import VaultRepository

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

    /// The status for a repository error.
    init(_ error: RepositoryError) {
        switch error.code {
        case .notARepository: self = .noRepository
        case .locked: self = .locked
        case .wrongPassword: self = .wrongPassword
        case .invalidRequest, .passwordRequired, .unsupportedVersion, .damaged, .storage: self = .failure
        }
    }
}

extension ExitStatus {
    /// The status for an operation error.
    init(_ error: OperationError) {
        switch error.code {
        case .interrupted: self = .interrupted
        case .invalidArgument, .noSource, .snapshotNotFound, .targetFailed: self = .failure
        }
    }
}

extension ExitCode {
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}
