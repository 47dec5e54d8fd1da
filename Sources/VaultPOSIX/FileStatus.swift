import Glibc

/// What `stat` reports about a file.
package struct FileStatus: Hashable, Sendable {
    /// The kind of file.
    package var type: FileType
    /// The permission bits, including set-user-ID, set-group-ID and sticky
    /// (`st_mode & 07777`).
    package var permissions: UInt32
    /// The owner's user ID.
    package var userID: UInt32
    /// The owner's group ID.
    package var groupID: UInt32
    /// The size in bytes (for a symbolic link, the length of its target).
    package var size: Int64
    /// The last change of the contents (`st_mtim`).
    package var modificationTime: FileTime
    /// The last change of the contents or the metadata (`st_ctim`).
    package var changeTime: FileTime
    /// The inode number.
    package var inode: UInt64
    /// The ID of the device holding the file.
    package var device: UInt64
    /// The number of hard links.
    package var linkCount: UInt64
    /// For device files, the device they stand for.
    package var specialDevice: UInt64
    /// The number of 512-byte blocks allocated (less than the size for a
    /// sparse file).
    package var blocks: Int64

    /// Creates a status from its parts (for callers that describe files
    /// themselves, such as a test's fake file system).
    package init(
        type: FileType, permissions: UInt32, userID: UInt32, groupID: UInt32, size: Int64,
        modificationTime: FileTime, changeTime: FileTime, inode: UInt64, device: UInt64,
        linkCount: UInt64 = 1, specialDevice: UInt64 = 0, blocks: Int64 = 0
    ) {
        self.type = type
        self.permissions = permissions
        self.userID = userID
        self.groupID = groupID
        self.size = size
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.inode = inode
        self.device = device
        self.linkCount = linkCount
        self.specialDevice = specialDevice
        self.blocks = blocks
    }

    /// Converts a C `stat` record.
    init(_ raw: stat) {
        type = FileType(mode: raw.st_mode)
        permissions = UInt32(raw.st_mode & 0o7777)
        userID = UInt32(raw.st_uid)
        groupID = UInt32(raw.st_gid)
        size = Int64(raw.st_size)
        modificationTime = FileTime(raw.st_mtim)
        changeTime = FileTime(raw.st_ctim)
        inode = UInt64(raw.st_ino)
        device = UInt64(raw.st_dev)
        linkCount = UInt64(raw.st_nlink)
        specialDevice = UInt64(raw.st_rdev)
        blocks = Int64(raw.st_blocks)
    }
}
