/// How the S3 backend talks to its server.
package struct S3Options: Sendable, Hashable {
    /// Requests in flight at once (and pooled connections).
    package var concurrency: Int
    /// How long connecting may take.
    package var connectTimeout: Duration
    /// How long a connection may go without a byte arriving.
    package var idleTimeout: Duration
    /// How long one whole request may take, body included.
    package var requestTimeout: Duration
    /// How often a request failing with a 5xx or 429 answer, a timeout or
    /// a reset connection is made in all, and the bound on the first wait.
    package var maximumAttempts: Int
    /// The bound on the wait before the first retry; it doubles each time.
    package var initialRetryDelay: Duration

    /// Creates options; the defaults suit a server across the internet.
    package init(
        concurrency: Int = 8, connectTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
        requestTimeout: Duration = .seconds(600), maximumAttempts: Int = 8, initialRetryDelay: Duration = .milliseconds(200)
    ) {
        self.concurrency = max(1, concurrency)
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialRetryDelay = initialRetryDelay
    }
}
