import VaultCodecs

/// AWS Signature Version 4 for S3, computed as a pure function of a
/// request's parts (no clock, no network), so the worked examples of AWS's
/// documentation serve as known-answer tests.
///
/// Every request is signed with the SHA-256 of its body in
/// `x-amz-content-sha256`, so the server checks the payload too.
package struct SigV4Signer: Sendable {
    /// The credentials and region.
    package var credentials: S3Credentials
    /// The service name in the credential scope.
    package var service = "s3"

    /// Creates a signer.
    package init(credentials: S3Credentials) {
        self.credentials = credentials
    }

    /// A request as signed: method, path (not yet encoded), query items,
    /// headers (names in any case) and the payload's SHA-256 in hex.
    package struct Request: Sendable {
        package var method: String
        package var path: String
        package var query: [(String, String)]
        package var headers: [(String, String)]
        package var payloadHash: String

        /// Creates a request to sign.
        package init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The canonical request (the first step of signing).
    package func canonicalRequest(_ request: Request) -> String {
        let canonicalHeaders = Self.canonicalHeaders(request.headers)
        return [
            request.method,
            Self.encodePath(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
            canonicalHeaders.map(\.name).joined(separator: ";"),
            request.payloadHash,
        ].joined(separator: "\n")
    }

    /// The string to sign, for a request made at `amzDate` (`YYYYMMDDTHHMMSSZ`).
    package func stringToSign(_ request: Request, amzDate: String) -> String {
        [
            "AWS4-HMAC-SHA256",
            amzDate,
            scope(amzDate: amzDate),
            SHA256Hasher.hash(Array(canonicalRequest(request).utf8)).hex,
        ].joined(separator: "\n")
    }

    /// The signature, in hex.
    package func signature(_ request: Request, amzDate: String) -> String {
        let date = String(amzDate.prefix(8))
        var key = HMACSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8)).authenticate(Array(date.utf8)).bytes
        for part in [credentials.region, service, "aws4_request"] {
            key = HMACSHA256(key: key).authenticate(Array(part.utf8)).bytes
        }
        return HMACSHA256(key: key).authenticate(Array(stringToSign(request, amzDate: amzDate).utf8)).hex
    }

    /// The `Authorization` header's value.
    package func authorization(_ request: Request, amzDate: String) -> String {
        let signedHeaders = Self.canonicalHeaders(request.headers).map(\.name).joined(separator: ";")
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(amzDate: amzDate)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature(request, amzDate: amzDate))"
    }

    /// `DATE/REGION/SERVICE/aws4_request`.
    func scope(amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(credentials.region)/\(service)/aws4_request"
    }

    /// Lowercased names, trimmed values with inner runs of spaces folded,
    /// sorted by name.
    static func canonicalHeaders(_ headers: [(String, String)]) -> [(name: String, value: String)] {
        headers.map { header in
            let words = header.1.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return (name: header.0.lowercased(), value: words.joined(separator: " "))
        }.sorted { $0.name < $1.name }
    }

    /// Query items URI-encoded and sorted by name, then value.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (encode($0.0, keepSlash: false), encode($0.1, keepSlash: false)) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// A path URI-encoded once, slashes kept (S3 does not double-encode).
    package static func encodePath(_ path: String) -> String {
        encode(path, keepSlash: true)
    }

    /// RFC 3986 encoding: everything but `A-Z a-z 0-9 - . _ ~` (and `/`
    /// where kept) as `%XX` of its UTF-8 bytes, upper-case hex.
    package static func encode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
