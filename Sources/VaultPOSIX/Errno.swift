import Glibc

/// A POSIX error number (`errno`), with names for the ones callers test.
///
/// Only the codes callers branch on have names; any other code still
/// round-trips through ``rawValue`` and describes itself with `strerror`.
package struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw C error number.
    package let rawValue: Int32

    /// Creates an error number from its raw C value.
    ///
    /// - Parameter rawValue: A value of `errno`.
    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The error number the last failed system call left in `errno`.
    package static var current: Errno {
        Errno(rawValue: errno)
    }

    /// The system's one-line description of the error, as from `strerror`,
    /// e.g. "No such file or directory".
    package var description: String {
        guard let text = strerror(rawValue) else { return "error \(rawValue)" }
        return String(cString: text)
    }

    /// `EPERM`: the operation is not permitted.
    package static let notPermitted = Errno(rawValue: EPERM)
    /// `ENOENT`: no such file or directory.
    package static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// `EINTR`: a signal interrupted the call.
    package static let interrupted = Errno(rawValue: EINTR)
    /// `EIO`: a low-level input/output error.
    package static let ioError = Errno(rawValue: EIO)
    /// `EACCES`: permission denied.
    package static let permissionDenied = Errno(rawValue: EACCES)
    /// `EEXIST`: the file exists.
    package static let fileExists = Errno(rawValue: EEXIST)
    /// `EXDEV`: a link or rename across file systems.
    package static let improperLink = Errno(rawValue: EXDEV)
    /// `ENOTDIR`: a path component is not a directory.
    package static let notDirectory = Errno(rawValue: ENOTDIR)
    /// `EISDIR`: the file is a directory.
    package static let isDirectory = Errno(rawValue: EISDIR)
    /// `EINVAL`: an invalid argument, or a flag the file system does not support.
    package static let invalidArgument = Errno(rawValue: EINVAL)
    /// `ENOSPC`: no space left on the device.
    package static let noSpace = Errno(rawValue: ENOSPC)
    /// `EROFS`: the file system is read-only.
    package static let readOnlyFileSystem = Errno(rawValue: EROFS)
    /// `ENOSYS`: the system call is not implemented.
    package static let noFunction = Errno(rawValue: ENOSYS)
    /// `ENOTEMPTY`: the directory is not empty.
    package static let directoryNotEmpty = Errno(rawValue: ENOTEMPTY)
    /// `ELOOP`: too many symbolic links, or `O_NOFOLLOW` met a symbolic link.
    package static let tooManySymbolicLinkLevels = Errno(rawValue: ELOOP)
    /// `ENOTSUP`: the operation is not supported (same as `EOPNOTSUPP` on Linux).
    package static let notSupported = Errno(rawValue: ENOTSUP)
    /// `EDQUOT`: the user's disk quota is exhausted.
    package static let diskQuotaExceeded = Errno(rawValue: EDQUOT)
    /// `EOVERFLOW`: a value does not fit (used for limits a walk exceeds).
    package static let overflow = Errno(rawValue: EOVERFLOW)
    /// `ESTALE`: the file changed under a handle (used for a folder replaced while read).
    package static let stale = Errno(rawValue: ESTALE)
}
