import NIOHTTP1
import VaultStorage

/// A ``Storage`` in an S3 bucket (AWS, SeaweedFS, MinIO, Ceph RGW, Garage),
/// spoken to path-style over HTTP(S), each request signed with AWS
/// Signature Version 4 including the SHA-256 of its body.
///
/// - `put` is one `PUT` with `If-None-Match: *`; S3 makes it atomic, and
///   a server that supports conditional writes refuses to replace any
///   object, even in a race. ``ObjectName/config`` is also checked with
///   `HEAD` first, for servers that ignore the condition; other objects
///   are content-addressed and may be replaced by identical bytes there.
/// - A ranged `get` is one `GET` with `Range`, and its answer is checked to
///   hold exactly the range.
/// - `list` is `ListObjectsV2`, 1,000 keys a page, following continuation
///   tokens; keys that do not name an object of the kind are skipped.
/// - `delete` of a missing object succeeds (S3 does not say).
///
/// This type makes one attempt per call; ``S3Backend`` wraps it in a
/// ``ConcurrencyLimitedStorage`` and a ``RetryingStorage``, and the errors
/// it throws for 5xx and 429 answers, timeouts and reset connections are
/// marked transient for that.
package struct S3Storage: Storage {
    /// Where the repository is.
    package let s3Location: S3Location
    let client: S3Client

    /// The most bytes accepted for a whole object.
    static let maximumObjectSize = 1 << 30
    /// The most bytes accepted for a listing page or an error answer.
    static let maximumDocumentSize = 16 << 20

    /// Creates the storage; makes no request.
    package init(location: S3Location, credentials: S3Credentials, options: S3Options = S3Options()) {
        self.s3Location = location
        self.client = S3Client(location: location, credentials: credentials, options: options)
    }

    package var location: String { s3Location.description }

    /// An object store: several requests in flight, `put` may replace
    /// content-addressed objects, and listings are not assumed to be
    /// immediately consistent (AWS is; not every S3 server promises it).
    package var capabilities: StorageCapabilities {
        StorageCapabilities(
            preferredConcurrency: client.options.concurrency, putRefusesToReplace: false, listingIsImmediatelyConsistent: false,
            preferredReadSize: 4 << 20)
    }

    package func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        let action = "cannot store"
        // Servers that support conditional writes (AWS, SeaweedFS, MinIO)
        // refuse to replace any object, atomically; `config` is checked
        // first too, for servers that ignore the condition.
        if name == .config, try await exists(name) {
            throw alreadyExists(name)
        }
        let response = try await client.send(.PUT, key: s3Location.key(of: name), headers: [("if-none-match", "*")], body: bytes, bodyLimit: Self.maximumDocumentSize, name: name, action: action)
        guard response.status == 200 else {
            if response.status == 412 { throw alreadyExists(name) }
            throw S3ErrorAnswer.error(response, location: s3Location, name: name, action: action)
        }
    }

    package func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        let action = "cannot read"
        let response = try await client.send(.GET, key: s3Location.key(of: name), bodyLimit: Self.maximumObjectSize, name: name, action: action)
        guard response.status == 200 else {
            throw S3ErrorAnswer.error(response, location: s3Location, name: name, action: action)
        }
        if let length = response.header("content-length"), Int(length) != response.body.count {
            throw StorageError(.io, name: name, message: "\(action) \(name): \(s3Location) announced \(length) bytes and sent \(response.body.count)", isTransient: true)
        }
        return response.body
    }

    package func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        let action = "cannot read"
        guard range.lowerBound >= 0 else { throw invalidRange(name, range, size: nil) }
        if range.isEmpty {
            let size = try await stat(name).size
            guard range.upperBound <= size else { throw invalidRange(name, range, size: size) }
            return []
        }
        let count = range.upperBound - range.lowerBound
        guard count <= Int64(Self.maximumObjectSize) else { throw invalidRange(name, range, size: nil) }
        let response = try await client.send(
            .GET, key: s3Location.key(of: name), headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
            bodyLimit: Self.maximumObjectSize, name: name, action: action)
        switch response.status {
        case 206:
            // Content-Range: bytes FIRST-LAST/TOTAL. A range reaching past
            // the end comes back shortened: that is an invalid range.
            guard let contentRange = response.header("content-range"), let (first, last, total) = Self.parseContentRange(contentRange) else {
                throw StorageError(.io, name: name, message: "\(action) \(name): \(s3Location) sent a partial answer without a valid Content-Range")
            }
            if let total, range.upperBound > total { throw invalidRange(name, range, size: total) }
            guard first == range.lowerBound, last == range.upperBound - 1, Int64(response.body.count) == count else {
                throw StorageError(
                    .io, name: name,
                    message: "\(action) \(name): asked \(s3Location) for bytes \(range.lowerBound)..<\(range.upperBound), got \(response.body.count) bytes (\(contentRange))",
                    isTransient: true)
            }
            return response.body
        case 200:
            // A server that ignores Range sends the whole object.
            let size = Int64(response.body.count)
            guard range.upperBound <= size else { throw invalidRange(name, range, size: size) }
            return Array(response.body[Int(range.lowerBound)..<Int(range.upperBound)])
        case 416:
            let size = try? await stat(name).size
            throw invalidRange(name, range, size: size)
        default:
            throw S3ErrorAnswer.error(response, location: s3Location, name: name, action: action)
        }
    }

    package func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        let action = "cannot examine"
        let response = try await client.send(.HEAD, key: s3Location.key(of: name), bodyLimit: Self.maximumDocumentSize, name: name, action: action)
        guard response.status == 200 else {
            if response.status == 404 {
                throw StorageError(.notFound, name: name, message: "\(action) \(name): no such object in \(s3Location)")
            }
            throw S3ErrorAnswer.error(response, location: s3Location, name: name, action: action)
        }
        guard let lengthText = response.header("content-length"), let size = Int64(lengthText), size >= 0 else {
            throw StorageError(.io, name: name, message: "\(action) \(name): \(s3Location) sent no valid Content-Length")
        }
        let modified = response.header("last-modified").flatMap(S3Time.parseHTTPDate)
        guard let modified else {
            throw StorageError(.io, name: name, message: "\(action) \(name): \(s3Location) sent no valid Last-Modified")
        }
        return ObjectInfo(name: name, size: size, modificationTime: modified)
    }

    package func list(_ kind: ObjectKind) -> ObjectListing {
        let client = client
        let location = s3Location
        return ObjectListing {
            let cursor = S3ListingCursor(client: client, location: location, kind: kind)
            return { () async throws(StorageError) -> [ObjectInfo]? in try await cursor.nextPage() }
        }
    }

    package func delete(_ name: ObjectName) async throws(StorageError) {
        let action = "cannot delete"
        let response = try await client.send(.DELETE, key: s3Location.key(of: name), bodyLimit: Self.maximumDocumentSize, name: name, action: action)
        guard response.status == 204 || response.status == 200 else {
            throw S3ErrorAnswer.error(response, location: s3Location, name: name, action: action)
        }
    }

    // MARK: - Helpers

    private func alreadyExists(_ name: ObjectName) -> StorageError {
        StorageError(.alreadyExists, name: name, message: "cannot store \(name): an object of that name already exists in \(s3Location)")
    }

    private func invalidRange(_ name: ObjectName, _ range: Range<Int64>, size: Int64?) -> StorageError {
        let has = size.map { ": it has \($0) bytes" } ?? ""
        return StorageError(.invalidRange, name: name, message: "cannot read bytes \(range.lowerBound)..<\(range.upperBound) of \(name)\(has)")
    }

    /// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`).
    static func parseContentRange(_ text: String) -> (Int64, Int64, Int64?)? {
        guard text.hasPrefix("bytes ") else { return nil }
        let parts = text.dropFirst(6).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first >= 0, last >= first else { return nil }
        if parts[1] == "*" { return (first, last, nil) }
        guard let total = Int64(parts[1]), total > last else { return nil }
        return (first, last, total)
    }
}

/// Where a `ListObjectsV2` listing is: the continuation token of the next
/// page. Used by one iteration at a time.
final class S3ListingCursor {
    private let client: S3Client
    private let location: S3Location
    private let kind: ObjectKind
    private var token: String?
    private var seenTokens: Set<String> = []
    private var finished = false

    init(client: S3Client, location: S3Location, kind: ObjectKind) {
        self.client = client
        self.location = location
        self.kind = kind
    }

    /// The next page's objects of the kind, or `nil` when the listing is done.
    func nextPage() async throws(StorageError) -> [ObjectInfo]? {
        let action = "cannot list \(kind.rawValue)"
        guard !finished else { return nil }
        var query = [("list-type", "2"), ("prefix", location.listPrefix(of: kind)), ("max-keys", "1000")]
        if let token { query.append(("continuation-token", token)) }
        let response = try await client.send(.GET, key: nil, query: query, bodyLimit: S3Storage.maximumDocumentSize, name: nil, action: action)
        guard response.status == 200 else {
            throw S3ErrorAnswer.error(response, location: location, name: nil, action: action)
        }
        func malformed(_ reason: String) -> StorageError {
            StorageError(.io, name: nil, message: "\(action) in \(location): the listing is malformed: \(reason)")
        }
        let root: S3XMLElement
        do {
            root = try S3XML.parse(response.body)
        } catch {
            throw malformed(error.description)
        }
        guard root.name == "ListBucketResult" else { throw malformed("unexpected <\(root.name)>") }
        var page: [ObjectInfo] = []
        for entry in root.children("Contents") {
            guard let key = entry.text(of: "Key") else { throw malformed("an entry without a key") }
            guard let name = location.name(ofKey: key, kind: kind) else { continue }
            guard let sizeText = entry.text(of: "Size"), let size = Int64(sizeText), size >= 0 else {
                throw malformed("no valid size for \(name)")
            }
            guard let modifiedText = entry.text(of: "LastModified"), let modified = S3Time.parseISO8601(modifiedText) else {
                throw malformed("no valid modification time for \(name)")
            }
            page.append(ObjectInfo(name: name, size: size, modificationTime: modified))
        }
        switch root.text(of: "IsTruncated") {
        case "true":
            guard let next = root.text(of: "NextContinuationToken"), !next.isEmpty, next.utf8.count <= 4096 else {
                throw malformed("a truncated page without a continuation token")
            }
            guard seenTokens.insert(next).inserted else { throw malformed("the server repeated a continuation token") }
            token = next
        case "false", nil:
            finished = true
        default:
            throw malformed("IsTruncated is neither true nor false")
        }
        return page
    }
}
