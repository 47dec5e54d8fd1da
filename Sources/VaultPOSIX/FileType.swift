import Glibc

/// What kind of file a directory entry or a status describes.
package enum FileType: Hashable, Sendable {
    /// A regular file.
    case regular
    /// A directory.
    case directory
    /// A symbolic link.
    case symbolicLink
    /// A character device.
    case characterDevice
    /// A block device.
    case blockDevice
    /// A named pipe.
    case fifo
    /// A socket.
    case socket
    /// The file system did not say (`DT_UNKNOWN`; some file systems never
    /// fill in `d_type`): ask with `fstatat`.
    case unknown

    /// The type in a `st_mode` value.
    ///
    /// - Parameter mode: A `st_mode` value.
    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        default: self = .unknown
        }
    }

    /// The type in a `d_type` value.
    ///
    /// - Parameter directoryEntryType: A `dirent.d_type` value.
    init(directoryEntryType: UInt8) {
        switch Int(directoryEntryType) {
        case Int(DT_REG): self = .regular
        case Int(DT_DIR): self = .directory
        case Int(DT_LNK): self = .symbolicLink
        case Int(DT_CHR): self = .characterDevice
        case Int(DT_BLK): self = .blockDevice
        case Int(DT_FIFO): self = .fifo
        case Int(DT_SOCK): self = .socket
        default: self = .unknown
        }
    }
}
