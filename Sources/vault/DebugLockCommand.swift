import ArgumentParser
import VaultRepository

/// `vault debug lock`: takes and releases a lock in rounds that start at
/// fixed wall-clock times, so that two processes started together race
/// for the lock in every round (the lock tests use it).
///
/// Prints one line per round: `held START END` (nanoseconds since the
/// epoch, while the lock was held) or `locked`.
struct DebugLockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Take and release a lock in timed rounds (for testing lock races).",
        shouldDisplay: false
    )

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Take exclusive locks (default: shared).")
    var exclusive = false

    @Option(help: "How many rounds.")
    var rounds = 1

    @Option(help: "When the first round starts, in nanoseconds since the epoch (default: now).")
    var start: Int64?

    @Option(help: "Milliseconds from the start of one round to the next.")
    var intervalMs = 100

    @Option(help: "Milliseconds to hold the lock once taken.")
    var holdMs = 20

    func validate() throws {
        guard rounds >= 1, intervalMs >= 1, holdMs >= 0 else {
            throw ValidationError("--rounds and --interval-ms must be at least 1, --hold-ms at least 0")
        }
    }

    func run() async throws {
        let opened = try await repository.openRepository()
        let policy: LockPolicy = exclusive ? .exclusive : .shared
        let first = start ?? Timestamp.now().nanoseconds
        let hold = UInt64(holdMs) * 1_000_000
        var output = ""
        for round in 0..<rounds {
            let due = first + Int64(round) * Int64(intervalMs) * 1_000_000
            let wait = due - Timestamp.now().nanoseconds
            if wait > 0 {
                try await Task.sleep(nanoseconds: UInt64(wait))
            }
            do {
                let (held, released) = try await opened.withLock(policy) {
                    let held = Timestamp.now().nanoseconds
                    try await Task.sleep(nanoseconds: hold)
                    return (held, Timestamp.now().nanoseconds)
                }
                output += "held \(held) \(released)\n"
            } catch let error as RepositoryError where error.code == .locked {
                output += "locked\n"
            }
        }
        print(output, terminator: "")
    }
}
