import Glibc
internal import CLinuxShims

/// Metadata calls on an open file: what a restore sets once a file's
/// contents are written. Each retries calls a signal interrupts.
extension FileDescriptor {
    /// Sets the file's size, cutting it or extending it with a hole (`ftruncate`).
    ///
    /// - Parameter size: The new size in bytes.
    /// - Throws: ``SystemError`` from `ftruncate`; `EFBIG` past the file system's limit.
    package func truncate(to size: Int64) throws(SystemError) {
        try call("ftruncate") { ftruncate(rawValue, off_t(size)) }
    }

    /// Sets the file's owner and group (`fchown`).
    ///
    /// Clears the set-user-ID and set-group-ID bits: set the permissions after.
    ///
    /// - Parameters:
    ///   - userID: The new owner.
    ///   - groupID: The new group.
    /// - Throws: ``SystemError``; `EPERM` without the privilege.
    package func setOwner(userID: UInt32, groupID: UInt32) throws(SystemError) {
        try call("fchown") { fchown(rawValue, uid_t(userID), gid_t(groupID)) }
    }

    /// Sets the file's permission bits (`fchmod`).
    ///
    /// - Parameter permissions: The mode bits (`& 0o7777`).
    /// - Throws: ``SystemError`` from `fchmod`.
    package func setPermissions(_ permissions: UInt32) throws(SystemError) {
        try call("fchmod") { fchmod(rawValue, mode_t(permissions & 0o7777)) }
    }

    /// Sets the file's access and modification times (`futimens`).
    ///
    /// - Parameters:
    ///   - access: The access time.
    ///   - modification: The modification time.
    /// - Throws: ``SystemError`` from `futimens`.
    package func setTimes(access: FileTime, modification: FileTime) throws(SystemError) {
        let times = [access.cTimespec, modification.cTimespec]
        try call("futimens") { futimens(rawValue, times) }
    }

    /// Sets an extended attribute (`fsetxattr`).
    ///
    /// - Parameters:
    ///   - name: The attribute's name, e.g. `user.comment`.
    ///   - value: Its value.
    /// - Throws: ``SystemError``; `ENOTSUP` where the file system does not
    ///   take the attribute, `EPERM` for a namespace the caller may not write.
    package func setExtendedAttribute(_ name: [UInt8], value: [UInt8]) throws(SystemError) {
        guard let result = FilePath(bytes: name).withCString({ cName in
            retryingInterrupts { value.withUnsafeBytes { fsetxattr(rawValue, cName, $0.baseAddress, $0.count, 0) } }
        }) else {
            throw SystemError(.invalidArgument, operation: "fsetxattr")
        }
        if case .failure(let code) = result {
            throw SystemError(code, operation: "fsetxattr")
        }
    }

    private func call(_ operation: String, _ body: () -> Int32) throws(SystemError) {
        if case .failure(let code) = retryingInterrupts(body) {
            throw SystemError(code, operation: operation)
        }
    }
}
