/// Counts tasks running at once and the most there ever were, for the
/// bounded-concurrency tests (the pull shape and the push shape).
actor ConcurrencyGauge {
    private(set) var running = 0
    private(set) var most = 0
    private(set) var cancelled = 0

    func enter() {
        running += 1
        most = max(most, running)
    }

    func leave(wasCancelled: Bool) {
        running -= 1
        if wasCancelled { cancelled += 1 }
    }

    /// Work that holds a slot for a moment. The long pauses in the
    /// cancellation tests (600 s) can end only by cancellation, so the
    /// counts do not depend on how busy the machine is.
    nonisolated func work(_ value: Int, pause: Duration = .milliseconds(2)) -> @Sendable () async -> Int {
        {
            await self.enter()
            try? await Task.sleep(for: pause)
            await self.leave(wasCancelled: Task.isCancelled)
            return value
        }
    }
}
