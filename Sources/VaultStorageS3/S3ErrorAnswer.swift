import VaultStorage

/// A failed S3 answer turned into a ``StorageError``: the HTTP status and
/// S3's error code (`AccessDenied`, `NoSuchBucket`, …) in a one-line
/// message, a code callers can react to, and 5xx and 429 marked transient.
enum S3ErrorAnswer {
    /// The error for an answer whose status is not a success.
    ///
    /// - Parameters:
    ///   - response: The answer.
    ///   - location: The repository location, for the message.
    ///   - name: The object concerned.
    ///   - action: What was being done ("cannot read").
    static func error(_ response: S3Response, location: S3Location, name: ObjectName?, action: String) -> StorageError {
        let element = try? S3XML.parse(response.body)
        let s3Code = element.flatMap { $0.name == "Error" ? $0.text(of: "Code") : nil }.map(clean)
        let s3Message = element.flatMap { $0.name == "Error" ? $0.text(of: "Message") : nil }.map(clean)
        let subject = name.map { "\(action) \($0)" } ?? action
        var detail = "S3 answered \(response.status)"
        if let s3Code, !s3Code.isEmpty { detail += " \(s3Code)" }
        if let s3Message, !s3Message.isEmpty { detail += " (\(s3Message))" }
        let code: StorageError.Code
        var hint = ""
        switch (response.status, s3Code ?? "") {
        case (_, "NoSuchBucket"):
            code = .locationUnavailable
            hint = ": the bucket '\(location.bucket)' does not exist"
        case (_, "SignatureDoesNotMatch"):
            code = .permissionDenied
            hint = ": the secret key is wrong (check AWS_SECRET_ACCESS_KEY)"
        case (_, "InvalidAccessKeyId"):
            code = .permissionDenied
            hint = ": the server does not know the access key (check AWS_ACCESS_KEY_ID)"
        case (401, _), (403, _):
            code = .permissionDenied
        case (404, _):
            code = .notFound
        case (409, _), (412, _):
            code = .alreadyExists
        case (416, _):
            code = .invalidRange
        default:
            code = .io
        }
        let transient = response.status >= 500 || response.status == 429 || s3Code == "SlowDown" || s3Code == "RequestTimeout"
        return StorageError(code, name: name, message: "\(subject): \(detail) at \(location)\(hint)", isTransient: transient)
    }

    /// Server text made safe for one line: control characters dropped, at most 200 characters.
    static func clean(_ text: String) -> String {
        let scalars = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        let line = String(String.UnicodeScalarView(scalars))
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}
