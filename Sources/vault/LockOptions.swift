import ArgumentParser
import VaultRepository

/// `--no-lock`, for the commands that only read a repository.
///
/// They take a shared lock when they can; on read-only media or a full
/// disk they go on without one after a one-line warning; `--no-lock` skips
/// the lock altogether.
struct LockOptions: ParsableArguments {
    @Flag(help: "Take no lock: read even while another process holds an exclusive lock (prune, repair), at your own risk.")
    var noLock = false

    /// The lock to take.
    var policy: LockPolicy {
        noLock ? .none : .sharedUnlessUnwritable { StandardError.line("vault: warning: \($0)") }
    }
}
