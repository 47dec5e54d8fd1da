import Testing
@testable import VaultOperations

/// The push shape of the bounded task loop that the backup's pipeline uses
/// (``BoundedConcurrency/withGroup(of:limit:_:)``).
@Suite("Bounded concurrency: the group the backup pushes work into")
struct BoundedConcurrencyGroupTests {
    struct Stop: Error {}

    @Test("waiting with nextWhileFull before each start keeps the limit; next drains the rest", arguments: [1, 3])
    func pushedWorkStaysBounded(limit: Int) async throws {
        let gauge = ConcurrencyGauge()
        let collected = await BoundedConcurrency.withGroup(of: Int.self, limit: limit) { group in
            var collected: [Int] = []
            for value in 0..<30 {
                while let result = await group.nextWhileFull() {
                    collected.append(result)
                }
                let running = group.running
                #expect(running < limit)
                group.start(gauge.work(value))
            }
            while let result = await group.next() {
                collected.append(result)
            }
            let running = group.running
            #expect(running == 0)
            return collected
        }
        #expect(collected.sorted() == Array(0..<30))
        #expect(await gauge.most <= limit)
        #expect(await gauge.running == 0)
    }

    @Test("start runs work beyond the limit (a pack to store), and next returns nil once nothing runs")
    func startIgnoresTheLimit() async throws {
        let gauge = ConcurrencyGauge()
        let count = await BoundedConcurrency.withGroup(of: Int.self, limit: 1) { group in
            for value in 0..<3 {
                group.start(gauge.work(value, pause: .milliseconds(50)))
            }
            let (isFull, running) = (group.isFull, group.running)
            #expect(isFull)
            #expect(running == 3)
            var count = 0
            while await group.next() != nil { count += 1 }
            let after = await group.next()
            #expect(after == nil)
            return count
        }
        #expect(count == 3)
        #expect(await gauge.most >= 2, "the three ran together")
    }

    @Test("an error from the body cancels the running tasks, awaits them, and is rethrown")
    func errorCancels() async throws {
        let gauge = ConcurrencyGauge()
        await #expect(throws: Stop.self) {
            try await BoundedConcurrency.withGroup(of: Int.self, limit: 4) { (group: inout BoundedConcurrency.Group<Int>) async throws(Stop) -> Void in
                for value in 0..<4 {
                    group.start(gauge.work(value, pause: .seconds(600)))
                }
                throw Stop()
            }
        }
        #expect(await gauge.running == 0)
        #expect(await gauge.cancelled == 4, "every task saw the cancellation")
    }
}
