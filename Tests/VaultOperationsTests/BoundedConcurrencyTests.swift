import Testing
@testable import VaultOperations

/// The one bounded task loop verify, mirror and restore's verification share.
@Suite("Bounded concurrency")
struct BoundedConcurrencyTests {
    /// Counts tasks running at once and the most there ever were.
    actor Gauge {
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
    }

    struct Stop: Error {}

    /// Work that holds a slot for a moment. The long pauses in the
    /// cancellation tests (600 s) can end only by cancellation, so the
    /// counts do not depend on how busy the machine is.
    private static func work(_ value: Int, gauge: Gauge, pause: Duration = .milliseconds(2)) -> @Sendable () async -> Int {
        {
            await gauge.enter()
            try? await Task.sleep(for: pause)
            await gauge.leave(wasCancelled: Task.isCancelled)
            return value
        }
    }

    @Test("never more than the limit at once, and every result collected", arguments: [1, 3, 8])
    func boundedAndComplete(limit: Int) async throws {
        let gauge = Gauge()
        var next = 0
        var collected: [Int] = []
        await BoundedConcurrency.run(limit: limit) { () -> (@Sendable () async -> Int)? in
            guard next < 40 else { return nil }
            defer { next += 1 }
            return Self.work(next, gauge: gauge)
        } collect: { value in
            collected.append(value)
            return .proceed
        }
        #expect(collected.sorted() == Array(0..<40))
        #expect(await gauge.most <= limit)
        #expect(await gauge.most >= 1)
        #expect(await gauge.running == 0)
    }

    @Test("a limit below 1 runs one at a time; no work at all is fine")
    func degenerateLimits() async throws {
        let gauge = Gauge()
        var next = 0
        var collected = 0
        await BoundedConcurrency.run(limit: 0) { () -> (@Sendable () async -> Int)? in
            guard next < 5 else { return nil }
            defer { next += 1 }
            return Self.work(next, gauge: gauge)
        } collect: { _ in
            collected += 1
            return .proceed
        }
        #expect(collected == 5)
        #expect(await gauge.most == 1)

        var asked = 0
        await BoundedConcurrency.run(limit: 4) { () -> (@Sendable () async -> Int)? in
            asked += 1
            return nil
        } collect: { _ in
            Issue.record("nothing was started")
            return .proceed
        }
        #expect(asked == 1)
    }

    @Test("stopStarting starts nothing more, cancels what runs, and still collects it")
    func stopStarting() async throws {
        let gauge = Gauge()
        var started = 0
        var collected = 0
        await BoundedConcurrency.run(limit: 4) { () -> (@Sendable () async -> Int)? in
            guard started < 100 else { return nil }
            started += 1
            return Self.work(started, gauge: gauge, pause: started == 1 ? .milliseconds(1) : .seconds(600))
        } collect: { _ in
            collected += 1
            return .stopStarting
        }
        #expect(started == 4)
        #expect(collected == 4)
        // The three long tasks were cancelled, not waited out.
        #expect(await gauge.cancelled >= 3)
    }

    @Test("an error from next or collect cancels the running tasks and is rethrown")
    func errorsStopEverything() async throws {
        let gauge = Gauge()
        var started = 0
        await #expect(throws: Stop.self) {
            try await BoundedConcurrency.run(limit: 3) { () throws(Stop) -> (@Sendable () async -> Int)? in
                started += 1
                return Self.work(started, gauge: gauge, pause: started == 1 ? .milliseconds(1) : .seconds(600))
            } collect: { (_: Int) throws(Stop) -> BoundedConcurrency.Decision in
                throw Stop()
            }
        }
        #expect(started == 3)
        #expect(await gauge.running == 0)
        #expect(await gauge.cancelled >= 2)

        var startedAgain = 0
        await #expect(throws: Stop.self) {
            try await BoundedConcurrency.run(limit: 2) { () throws(Stop) -> (@Sendable () async -> Int)? in
                startedAgain += 1
                if startedAgain == 5 { throw Stop() }
                return Self.work(startedAgain, gauge: gauge)
            } collect: { (_: Int) throws(Stop) -> BoundedConcurrency.Decision in
                .proceed
            }
        }
        #expect(startedAgain == 5)
    }
}
