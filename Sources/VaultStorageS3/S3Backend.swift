import NIOHTTP1
import VaultStorage

/// The `s3:` backend: `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`, with
/// credentials and region from the environment (``S3Credentials``).
///
/// Opened storages are an ``S3Storage`` inside a
/// ``ConcurrencyLimitedStorage`` (``S3Options/concurrency`` requests at
/// once) inside a ``RetryingStorage`` (transient failures repeated with
/// exponential backoff and jitter).
package struct S3Backend: StorageBackend {
    package var scheme: String { "s3" }

    /// The environment credentials and options are read from.
    package let environment: [String: String]
    /// The options; by default from `VAULT_S3_CONNECTIONS` and `VAULT_S3_TIMEOUT`.
    package let options: S3Options

    /// Creates the backend.
    ///
    /// - Parameters:
    ///   - environment: The process environment (credentials, region, options).
    ///   - options: The options, or `nil` to read them from the environment.
    package init(environment: [String: String], options: S3Options? = nil) {
        self.environment = environment
        self.options = options ?? Self.options(from: environment)
    }

    /// `VAULT_S3_CONNECTIONS` (requests in flight, 1 to 256) and
    /// `VAULT_S3_TIMEOUT` (seconds a request may stall, 1 to 3600).
    static func options(from environment: [String: String]) -> S3Options {
        var options = S3Options()
        if let text = environment["VAULT_S3_CONNECTIONS"], let value = Int(text), (1...256).contains(value) {
            options.concurrency = value
        }
        if let text = environment["VAULT_S3_TIMEOUT"], let value = Int(text), (1...3600).contains(value) {
            options.idleTimeout = .seconds(value)
            options.requestTimeout = .seconds(max(value, 60) * 10)
        }
        return options
    }

    package func open(_ address: String) throws(StorageError) -> any Storage {
        wrap(try raw(address))
    }

    /// The unwrapped storage (one attempt per call), for tests.
    package func raw(_ address: String) throws(StorageError) -> S3Storage {
        let location = try S3Location(parsing: address)
        let credentials = try S3Credentials(environment: environment)
        return S3Storage(location: location, credentials: credentials, options: options)
    }

    /// The storage wrapped for use: limited concurrency, retries.
    package func wrap(_ storage: S3Storage) -> any Storage {
        RetryingStorage(
            ConcurrencyLimitedStorage(storage, limit: options.concurrency),
            policy: RetryPolicy(maximumAttempts: options.maximumAttempts, initialDelay: options.initialRetryDelay))
    }

    /// `.missing` when the bucket does not exist; otherwise what lies under
    /// the prefix: nothing, only a repository's keys, or something else.
    package func inspect(_ address: String) async throws(StorageError) -> LocationContents {
        let storage = try raw(address)
        let location = storage.s3Location
        let policy = RetryPolicy(maximumAttempts: options.maximumAttempts, initialDelay: options.initialRetryDelay)
        let query = [("list-type", "2"), ("prefix", location.keyPrefix), ("max-keys", "1000")]
        let response = try await policy.run { () async throws(StorageError) in
            let response = try await storage.client.send(
                .GET, key: nil, query: query, bodyLimit: S3Storage.maximumDocumentSize, name: nil, action: "cannot examine \(location)")
            if response.status >= 500 || response.status == 429 {
                throw S3ErrorAnswer.error(response, location: location, name: nil, action: "cannot examine \(location)")
            }
            return response
        }
        guard response.status == 200 else {
            let error = S3ErrorAnswer.error(response, location: location, name: nil, action: "cannot examine \(location)")
            if error.code == .locationUnavailable { return .missing }
            throw error
        }
        guard let root = try? S3XML.parse(response.body), root.name == "ListBucketResult" else {
            throw StorageError(.io, name: nil, message: "cannot examine \(location): the listing is malformed")
        }
        let keys = root.children("Contents").compactMap { $0.text(of: "Key") }
        if keys.isEmpty { return .empty }
        let strangers = keys.filter { key in !ObjectKind.allCases.contains { location.name(ofKey: key, kind: $0) != nil } }
        guard strangers.isEmpty else {
            let names = strangers.prefix(3).map { S3ErrorAnswer.clean($0) }.joined(separator: ", ")
            return .foreign("it holds objects that are not a vault repository (\(names))")
        }
        return .repository
    }

    /// Creates the bucket when it is missing (and the credentials allow
    /// it); refuses a prefix that already holds objects.
    package func create(_ address: String) async throws(StorageError) -> any Storage {
        let storage = try raw(address)
        let location = storage.s3Location
        let action = "cannot create a repository at \(location)"
        switch try await inspect(address) {
        case .missing:
            let response = try await storage.client.send(
                .PUT, key: nil, body: Self.createBucketBody(region: storage.client.signer.credentials.region),
                bodyLimit: S3Storage.maximumDocumentSize, name: nil, action: action)
            guard response.status == 200 else {
                let error = S3ErrorAnswer.error(response, location: location, name: nil, action: "cannot create the bucket '\(location.bucket)'")
                // Created meanwhile (by us, elsewhere): fine if it is empty.
                guard error.code == .alreadyExists, try await inspect(address) == .empty else { throw error }
                return wrap(storage)
            }
        case .empty:
            break
        case .repository, .foreign:
            throw StorageError(.alreadyExists, name: nil, message: "\(action): it is not empty")
        }
        return wrap(storage)
    }

    /// The body of a bucket creation: empty for `us-east-1`, else the region.
    static func createBucketBody(region: String) -> [UInt8] {
        guard region != "us-east-1" else { return [] }
        let xml = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + "<LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>"
        return Array(xml.utf8)
    }
}
