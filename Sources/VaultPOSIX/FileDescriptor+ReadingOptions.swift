#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor.OpenOptions {
    /// `O_NONBLOCK`: opening does not wait (a fifo without a writer opens
    /// at once), nor do reads where the kernel would wait.
    package static let nonBlocking = FileDescriptor.OpenOptions(rawValue: O_NONBLOCK)

    /// `O_NOATIME` (Linux): reading does not change the file's access
    /// time. Only the file's owner or root may ask for it; others get
    /// `EPERM`. The Glibc module does not export the constant.
    package static let noAccessTime = FileDescriptor.OpenOptions(rawValue: 0o1000000)
}
