import VaultStorage

/// Where a repository lives in an S3-compatible store, parsed from
/// `http[s]://HOST[:PORT]/BUCKET[/PREFIX]` (the part after `s3:`).
///
/// Requests use path-style addressing (`http://HOST:PORT/BUCKET/KEY`),
/// which SeaweedFS, MinIO, Ceph RGW, Garage and AWS all accept. Objects
/// are keyed as in a repository folder, below the prefix:
///
///     PREFIX/config   PREFIX/keys/NAME   …   PREFIX/data/XX/NAME
package struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    package var scheme: String
    /// The host name or address (an IPv6 address in brackets).
    package var host: String
    /// The port, if the location names one.
    package var port: Int?
    /// The bucket.
    package var bucket: String
    /// The key prefix of every object, without leading or trailing `/`;
    /// empty for the bucket's top level.
    package var prefix: String

    /// Parses a location.
    ///
    /// - Throws: ``StorageError`` with code `.invalidName` and a message
    ///   saying what is wrong.
    package init(parsing address: String) throws(StorageError) {
        func invalid(_ reason: String) -> StorageError {
            StorageError(.invalidName, name: nil, message: "invalid S3 location 's3:\(address)': \(reason); expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]")
        }
        let rest: Substring
        if address.hasPrefix("http://") {
            scheme = "http"
            rest = address.dropFirst(7)
        } else if address.hasPrefix("https://") {
            scheme = "https"
            rest = address.dropFirst(8)
        } else {
            throw invalid("it must start with http:// or https://")
        }
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0 == "%" || $0 == "\\" || $0.isWhitespace }) else {
            throw invalid("it may not hold '?', '#', '@', '%', '\\' or spaces")
        }
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let authority = parts[0]
        guard parts.count == 2 else { throw invalid("it names no bucket") }
        // Host and port.
        var hostPart = authority
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(authority[...close])
            hostPart = authority[authority.index(after: close)...]
            if hostPart.isEmpty {
                port = nil
            } else {
                guard hostPart.first == ":" else { throw invalid("bad host") }
                port = try Self.port(hostPart.dropFirst(), invalid)
            }
        } else {
            let hostAndPort = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard hostAndPort.count <= 2 else { throw invalid("bad host") }
            host = String(hostAndPort[0])
            port = hostAndPort.count == 2 ? try Self.port(hostAndPort[1], invalid) : nil
        }
        guard !host.isEmpty, host.count <= 253,
              host.utf8.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") })
        else { throw invalid("bad host name") }
        // Bucket and prefix.
        var path = parts[1]
        while path.hasSuffix("/") { path = path.dropLast() }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = segments.first, !first.isEmpty else { throw invalid("it names no bucket") }
        bucket = String(first)
        guard Self.isValidBucket(bucket) else {
            throw invalid("bucket names are 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
        }
        let prefixSegments = segments.dropFirst()
        for segment in prefixSegments {
            guard !segment.isEmpty, segment != ".", segment != "..",
                  segment.utf8.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
            else { throw invalid("prefix parts are letters, digits, '-', '_' and '.', separated by single '/'") }
        }
        prefix = prefixSegments.joined(separator: "/")
        guard prefix.utf8.count <= 512 else { throw invalid("the prefix is longer than 512 bytes") }
    }

    private static func port(_ text: Substring, _ invalid: (String) -> StorageError) throws(StorageError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let port = Int(text), (1...65535).contains(port)
        else { throw invalid("bad port") }
        return port
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// S3's bucket naming rules (the common subset every server accepts).
    static func isValidBucket(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func lowerOrDigit(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
        return lowerOrDigit(first) && lowerOrDigit(last)
            && bytes.allSatisfy { lowerOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// The `Host` header: the host, and the port unless it is the scheme's default.
    package var hostHeader: String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    /// `http://HOST:PORT`.
    package var endpoint: String { "\(scheme)://\(hostHeader)" }

    /// The key prefix ending in `/`, or empty.
    package var keyPrefix: String { prefix.isEmpty ? "" : prefix + "/" }

    /// The key of an object.
    package func key(of name: ObjectName) -> String {
        switch name.kind {
        case .config: keyPrefix + "config"
        case .data: keyPrefix + "data/\(name.name.prefix(2))/\(name.name)"
        case .keys, .locks, .snapshots, .index: keyPrefix + "\(name.kind.rawValue)/\(name.name)"
        }
    }

    /// The listing prefix of a kind.
    package func listPrefix(of kind: ObjectKind) -> String {
        kind == .config ? keyPrefix + "config" : keyPrefix + kind.rawValue + "/"
    }

    /// The object a listed key names, or `nil` when it names none of
    /// `kind` (a stray key, a data object in the wrong shard).
    package func name(ofKey key: String, kind: ObjectKind) -> ObjectName? {
        guard key.hasPrefix(keyPrefix) else { return nil }
        let relative = key.dropFirst(keyPrefix.count)
        if kind == .config { return relative == "config" ? .config : nil }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        switch kind {
        case .data:
            guard parts.count == 3, parts[0] == "data", let name = try? ObjectName(kind: .data, name: String(parts[2])),
                  name.name.hasPrefix(parts[1]), parts[1].count == 2
            else { return nil }
            return name
        default:
            guard parts.count == 2, parts[0] == kind.rawValue else { return nil }
            return try? ObjectName(kind: kind, name: String(parts[1]))
        }
    }

    /// `s3:http://HOST:PORT/BUCKET/PREFIX`.
    package var description: String {
        "s3:\(endpoint)/\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
    }
}
