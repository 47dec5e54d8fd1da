import Testing
@testable import VaultOperations

/// The one bounded task loop verify, mirror and restore's verification share.
@Suite("Bounded concurrency")
struct BoundedConcurrencyTests {
    struct Stop: Error {}

    @Test("never more than the limit at once, and every result collected", arguments: [1, 3, 8])
    func boundedAndComplete(limit: Int) async throws {
        let gauge = ConcurrencyGauge()
        var next = 0
        var collected: [Int] = []
        await BoundedConcurrency.run(limit: limit) { () -> (@Sendable () async -> Int)? in
            guard next < 40 else { return nil }
            defer { next += 1 }
            return gauge.work(next)
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
        let gauge = ConcurrencyGauge()
        var next = 0
        var collected = 0
        await BoundedConcurrency.run(limit: 0) { () -> (@Sendable () async -> Int)? in
            guard next < 5 else { return nil }
            defer { next += 1 }
            return gauge.work(next)
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
        let gauge = ConcurrencyGauge()
        var started = 0
        var collected = 0
        await BoundedConcurrency.run(limit: 4) { () -> (@Sendable () async -> Int)? in
            guard started < 100 else { return nil }
            started += 1
            return gauge.work(started, pause: started == 1 ? .milliseconds(1) : .seconds(600))
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
        let gauge = ConcurrencyGauge()
        var started = 0
        await #expect(throws: Stop.self) {
            try await BoundedConcurrency.run(limit: 3) { () throws(Stop) -> (@Sendable () async -> Int)? in
                started += 1
                return gauge.work(started, pause: started == 1 ? .milliseconds(1) : .seconds(600))
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
                return gauge.work(startedAgain)
            } collect: { (_: Int) throws(Stop) -> BoundedConcurrency.Decision in
                .proceed
            }
        }
        #expect(startedAgain == 5)
    }
}
