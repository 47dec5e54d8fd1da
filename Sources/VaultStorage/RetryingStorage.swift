/// A storage that repeats calls failing with a transient error (one the
/// backend marks ``StorageError/isTransient``: a server's 5xx answer, a
/// timeout, a reset connection), waiting longer before each attempt.
///
/// Waits grow exponentially from ``RetryPolicy/initialDelay`` to
/// ``RetryPolicy/maximumDelay`` with full jitter (a random wait between
/// zero and the bound), so that many clients do not retry in step. Other
/// errors, and the last transient one, pass through unchanged; a cancelled
/// task stops retrying.
///
/// Repeating a `put` is safe: content-addressed objects may be replaced by
/// identical bytes, and a backend that stored ``ObjectName/config`` before
/// a reply was lost reports `.alreadyExists` on the retry.
package struct RetryingStorage: Storage {
    /// The wrapped storage.
    package let base: any Storage
    /// When and how often to repeat.
    package let policy: RetryPolicy

    /// Wraps a storage.
    package init(_ base: any Storage, policy: RetryPolicy = RetryPolicy()) {
        self.base = base
        self.policy = policy
    }

    package var location: String { base.location }
    package var capabilities: StorageCapabilities { base.capabilities }

    package func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        try await policy.run { () async throws(StorageError) in try await base.put(bytes, as: name) }
    }

    package func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        try await policy.run { () async throws(StorageError) in try await base.get(name) }
    }

    package func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        try await policy.run { () async throws(StorageError) in try await base.get(name, range: range) }
    }

    package func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        try await policy.run { () async throws(StorageError) in try await base.stat(name) }
    }

    package func list(_ kind: ObjectKind) -> ObjectListing {
        let base = base
        let policy = policy
        return ObjectListing {
            let source = base.list(kind).makePageSource()
            return { () async throws(StorageError) -> [ObjectInfo]? in
                // A failed page fetch leaves the cursor where it was, so
                // fetching again asks for the same page.
                try await policy.run { () async throws(StorageError) in try await source() }
            }
        }
    }

    package func delete(_ name: ObjectName) async throws(StorageError) {
        try await policy.run { () async throws(StorageError) in try await base.delete(name) }
    }

    /// Forwards to the wrapped storage.
    package func removeStaleTemporaryFiles(olderThan age: Duration) async throws(StorageError) -> Int {
        try await base.removeStaleTemporaryFiles(olderThan: age)
    }
}

/// How ``RetryingStorage`` repeats failed calls.
package struct RetryPolicy: Sendable, Hashable {
    /// How many times a call is made at most, the first included.
    package var maximumAttempts: Int
    /// The bound on the wait before the second attempt.
    package var initialDelay: Duration
    /// The largest bound on any wait.
    package var maximumDelay: Duration

    /// Creates a policy; by default 5 attempts, waits up to 0.2, 0.4, 0.8, 1.6 s.
    package init(maximumAttempts: Int = 5, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(5)) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The bound on the wait after `failures` failed attempts (1 or more).
    package func delayBound(afterFailures failures: Int) -> Duration {
        var bound = initialDelay
        for _ in 1..<max(1, failures) {
            bound = bound * 2
            if bound >= maximumDelay { return maximumDelay }
        }
        return min(bound, maximumDelay)
    }

    /// Runs `body`, repeating it after transient failures.
    package func run<T>(_ body: () async throws(StorageError) -> T) async throws(StorageError) -> T {
        var failures = 0
        while true {
            do {
                return try await body()
            } catch {
                failures += 1
                guard error.isTransient, failures < maximumAttempts, !Task.isCancelled else {
                    throw error
                }
                let failure = error
                let bound = delayBound(afterFailures: failures)
                let (seconds, attoseconds) = bound.components
                let boundNanoseconds = max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                let wait = Duration.nanoseconds(Int64.random(in: 0...boundNanoseconds))
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    throw failure
                }
            }
        }
    }
}
