import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization
import VaultCodecs
import VaultStorage

/// One answer from the server: status, headers, body.
struct S3Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The first value of a header.
    func header(_ name: String) -> String? {
        headers.first(name: name)
    }
}

/// Signs and sends requests to one bucket, path-style, and turns transport
/// failures (refused or reset connections, timeouts) into transient
/// ``StorageError``s. HTTP statuses are the caller's to judge.
struct S3Client: Sendable {
    let location: S3Location
    let signer: SigV4Signer
    let options: S3Options
    private let http: HTTPClient

    init(location: S3Location, credentials: S3Credentials, options: S3Options) {
        self.location = location
        self.signer = SigV4Signer(credentials: credentials)
        self.options = options
        self.http = S3HTTPClients.client(for: options)
    }

    /// Sends one request.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT`, `HEAD`, `DELETE`.
    ///   - key: The object key, or `nil` for the bucket itself.
    ///   - query: Query items.
    ///   - headers: Extra headers, all signed.
    ///   - body: The request body.
    ///   - bodyLimit: The most response bytes accepted.
    ///   - name: The object concerned, for error messages.
    ///   - action: What is being done, for error messages ("cannot read").
    func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [],
        body: [UInt8] = [], bodyLimit: Int, name: ObjectName?, action: String
    ) async throws(StorageError) -> S3Response {
        let path = "/\(location.bucket)" + (key.map { "/\($0)" } ?? "")
        let payloadHash = SHA256Hasher.hash(body).hex
        let amzDate = S3Time.amzDate(.now)
        var signed: [(String, String)] = [("host", location.hostHeader), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        if let token = signer.credentials.sessionToken {
            signed.append(("x-amz-security-token", token))
        }
        signed += extra
        let toSign = SigV4Signer.Request(method: method.rawValue, path: path, query: query, headers: signed, payloadHash: payloadHash)
        var url = location.endpoint + SigV4Signer.encodePath(path)
        if !query.isEmpty {
            url += "?" + SigV4Signer.canonicalQuery(query)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (header, value) in signed {
            request.headers.add(name: header, value: value)
        }
        request.headers.add(name: "authorization", value: signer.authorization(toSign, amzDate: amzDate))
        if method == .PUT {
            request.body = .bytes(body)
        }
        let subject = name.map { "\(action) \($0)" } ?? action
        do {
            let response = try await http.execute(request, timeout: TimeAmount(options.requestTimeout))
            let collected = try await response.body.collect(upTo: bodyLimit)
            return S3Response(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
        } catch is CancellationError {
            throw StorageError(.io, name: name, message: "\(subject): cancelled")
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw StorageError(.io, name: name, message: "\(subject): \(location) sent more than \(bodyLimit) bytes")
        } catch {
            throw StorageError(
                .io, name: name, message: "\(subject): cannot reach \(location.endpoint): \(Self.describe(error))", isTransient: true)
        }
    }

    /// A short description of a transport error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "the request timed out"
            case .readTimeout: return "the server stopped answering (read timeout)"
            case .writeTimeout: return "the server stopped accepting data (write timeout)"
            case .connectTimeout: return "connecting timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The HTTP clients of this process, one per set of timeouts, kept for the
/// process's life (an `HTTPClient` must be shut down before it is freed; a
/// process-wide one never is).
enum S3HTTPClients {
    private struct Key: Hashable {
        var concurrency: Int
        var connectTimeout: Duration
        var idleTimeout: Duration
    }

    private static let clients = Mutex<[Key: HTTPClient]>([:])

    static func client(for options: S3Options) -> HTTPClient {
        let key = Key(concurrency: options.concurrency, connectTimeout: options.connectTimeout, idleTimeout: options.idleTimeout)
        return clients.withLock { clients in
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: TimeAmount(options.connectTimeout), read: TimeAmount(options.idleTimeout), write: TimeAmount(options.idleTimeout)),
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency),
                decompression: .disabled)
            configuration.httpVersion = .http1Only
            // A refused connection fails the request at once; RetryingStorage
            // decides about retrying (the pool would otherwise keep trying
            // until the connect timeout, for every attempt).
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            return client
        }
    }
}
