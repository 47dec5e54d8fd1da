import VaultPOSIX

/// Runs work in child tasks, at most a given number at once, with the
/// bookkeeping on the calling task: what to start next and what to do with
/// each result. Verify's pack checks, mirror's copies, restore's
/// verification and the backup's pipeline share it, instead of each
/// keeping its own count of tasks in flight.
///
/// Two shapes: ``run(limit:next:collect:)`` pulls work from a source until
/// it runs dry; ``withGroup(of:limit:_:)`` hands a ``Group`` to code that
/// pushes work as it finds it (the backup's walk) and waits for room itself.
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
        try await withGroup(of: Output.self, limit: limit) { (group: inout Group<Output>) async throws(Failure) -> Void in
            var starting = true
            while true {
                while starting, !group.isFull {
                    guard let work = try await next() else {
                        starting = false
                        break
                    }
                    group.start(work)
                }
                guard let output = await group.next() else { break }
                if try await collect(output) == .stopStarting, starting {
                    starting = false
                    group.cancelAll()
                }
            }
        }
    }

    /// Runs `body` with a ``Group`` of child tasks that counts them
    /// against `limit`.
    ///
    /// When `body` throws, the running tasks are cancelled and awaited,
    /// then the error is rethrown; when it returns, tasks still running
    /// are awaited and their results dropped.
    ///
    /// - Parameters:
    ///   - output: The type the tasks return.
    ///   - limit: The most tasks ``Group/nextWhileFull()`` lets run at once
    ///     (at least 1 is used).
    ///   - body: Starts tasks and takes their results; runs on the calling task.
    /// - Returns: What `body` returns.
    package static func withGroup<Output: Sendable, Value, Failure: Error>(
        of output: Output.Type,
        limit: Int,
        _ body: (inout Group<Output>) async throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let outcome = await withTaskGroup(of: Output.self, returning: Result<Value, Failure>.self) { tasks in
            var group = Group(tasks, limit: max(1, limit))
            do throws(Failure) {
                return .success(try await body(&group))
            } catch {
                group.cancelAll()
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Child tasks counted against a limit, for code that starts work as
    /// it finds it (``withGroup(of:limit:_:)``).
    ///
    /// Before starting bounded work, take results with ``nextWhileFull()``
    /// until it returns `nil`; work that a result makes necessary (the
    /// backup's store of a pack that just filled) may start at once.
    /// Not to be kept beyond the `body` it was handed to.
    package struct Group<Output: Sendable>: ~Copyable {
        private var tasks: TaskGroup<Output>
        /// The most tasks ``nextWhileFull()`` lets run at once.
        package let limit: Int
        /// The tasks started and not yet collected.
        package private(set) var running = 0

        fileprivate init(_ tasks: TaskGroup<Output>, limit: Int) {
            self.tasks = tasks
            self.limit = limit
        }

        /// Whether ``limit`` or more tasks are running.
        package var isFull: Bool { running >= limit }

        /// Starts `work` in a child task, however many are running.
        package mutating func start(_ work: @escaping @Sendable () async -> Output) {
            tasks.addTask(operation: work)
            running += 1
        }

        /// The result of the next task to finish, or `nil` when none is running.
        package mutating func next() async -> Output? {
            guard running > 0, let output = await tasks.next() else { return nil }
            running -= 1
            return output
        }

        /// The result of the next task to finish while the group is full;
        /// `nil` as soon as there is room for another task.
        package mutating func nextWhileFull() async -> Output? {
            guard isFull else { return nil }
            return await next()
        }

        /// Cancels the running tasks; their results still come from ``next()``.
        package mutating func cancelAll() {
            tasks.cancelAll()
        }
    }
}

/// The number of cores to keep busy.
enum ProcessorCount {
    static let count: Int = max(1, ProcessIdentity.onlineProcessors ?? 1)
}
