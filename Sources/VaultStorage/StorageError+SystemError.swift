import VaultPOSIX

extension StorageError.Code {
    /// The storage error code for a failed system call.
    ///
    /// `ENOENT` is a missing object, `EEXIST` an existing one, a full disk or
    /// quota is `noSpace`, and a refusal (`EACCES`, `EPERM`, a read-only file
    /// system) is `permissionDenied`; anything else is `io`.
    ///
    /// - Parameter code: The system call's error number.
    init(_ code: Errno) {
        switch code {
        case .noSuchFileOrDirectory: self = .notFound
        case .fileExists: self = .alreadyExists
        case .noSpace, .diskQuotaExceeded: self = .noSpace
        case .permissionDenied, .notPermitted, .readOnlyFileSystem: self = .permissionDenied
        default: self = .io
        }
    }
}

extension StorageError {
    /// A storage error for a system call that failed while working on an object.
    ///
    /// - Parameters:
    ///   - error: The failed call, naming its full path.
    ///   - action: What was being done, e.g. "cannot store".
    ///   - name: The object concerned, if any.
    init(_ error: SystemError, _ action: String, _ name: ObjectName?) {
        let subject = name.map { "\(action) \($0)" } ?? action
        self.init(Code(error.code), name: name, message: "\(subject): \(error)")
    }
}
