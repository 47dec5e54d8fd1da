/// Runs work in child tasks, at most a given number at once, with the
/// bookkeeping on the calling task: what to start next and what to do with
/// each result. Verify's pack checks, mirror's copies and restore's
/// verification share it, instead of each keeping its own count of tasks
/// in flight.
package enum BoundedConcurrency {
    /// What ``run(limit:next:collect:)`` does after a result is collected.
    package enum Decision: Sendable {
        /// Start more work while there is some.
        case proceed
        /// Start nothing more and cancel the running tasks; their results
        /// are still collected as they come.
        case stopStarting
    }

    /// Starts work from `next` in child tasks, at most `limit` running at
    /// once, and hands each result to `collect` in the order they finish.
    ///
    /// `next` and `collect` run on the calling task, one at a time, so they
    /// may change its state without locks. An error either throws stops
    /// everything: the running tasks are cancelled and awaited, then the
    /// error is rethrown.
    ///
    /// - Parameters:
    ///   - limit: The most tasks running at once (at least 1 is used).
    ///   - next: The next piece of work, or `nil` when there is none.
    ///   - collect: Takes one finished task's result.
    package static func run<Output: Sendable, Failure: Error>(
        limit: Int,
        next: () async throws(Failure) -> (@Sendable () async -> Output)?,
        collect: (Output) async throws(Failure) -> Decision
    ) async throws(Failure) {
        let limit = max(1, limit)
        var failure: Failure?
        await withTaskGroup(of: Output.self) { group in
            do throws(Failure) {
                var running = 0
                var starting = true
                while true {
                    while starting, running < limit {
                        guard let work = try await next() else {
                            starting = false
                            break
                        }
                        group.addTask(operation: work)
                        running += 1
                    }
                    guard let output = await group.next() else { break }
                    running -= 1
                    if try await collect(output) == .stopStarting, starting {
                        starting = false
                        group.cancelAll()
                    }
                }
            } catch {
                failure = error
                group.cancelAll()
            }
        }
        if let failure {
            throw failure
        }
    }
}
