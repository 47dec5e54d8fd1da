/// One entry of a directory, as `readdir` reports it.
package struct DirectoryEntry: Hashable, Sendable {
    /// The entry's name: bytes, since names need not be UTF-8.
    package var name: [UInt8]
    /// The entry's type from `d_type`; ``FileType/unknown`` when the file
    /// system does not say.
    package var type: FileType
    /// The entry's inode number.
    package var inode: UInt64

    /// Creates an entry.
    ///
    /// - Parameters:
    ///   - name: The name's bytes.
    ///   - type: The entry's type.
    ///   - inode: The inode number.
    package init(name: [UInt8], type: FileType, inode: UInt64) {
        self.name = name
        self.type = type
        self.inode = inode
    }
}
