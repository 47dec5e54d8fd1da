/// The key pair (and, for temporary credentials, the session token) that
/// signs S3 requests, and the region they are signed for.
package struct S3Credentials: Sendable, Hashable {
    /// The access key ID, e.g. `AKIAIOSFODNN7EXAMPLE`.
    package var accessKeyID: String
    /// The secret access key.
    package var secretAccessKey: String
    /// The session token of temporary credentials, sent as `x-amz-security-token`.
    package var sessionToken: String?
    /// The region requests are signed for, e.g. `us-east-1`.
    package var region: String

    /// Creates credentials.
    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String = "us-east-1") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, the optional
    /// `AWS_SESSION_TOKEN`, and `AWS_DEFAULT_REGION` (default `us-east-1`).
    ///
    /// - Parameter environment: The process environment.
    /// - Throws: ``VaultStorage/StorageError`` with code `.permissionDenied`
    ///   when a key is missing.
    package init(environment: [String: String]) throws(StorageError) {
        guard let accessKeyID = environment["AWS_ACCESS_KEY_ID"], !accessKeyID.isEmpty,
              let secretAccessKey = environment["AWS_SECRET_ACCESS_KEY"], !secretAccessKey.isEmpty
        else {
            throw StorageError(
                .permissionDenied, name: nil,
                message: "S3 needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let region = environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        self.init(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: token, region: region)
    }
}

import VaultStorage
