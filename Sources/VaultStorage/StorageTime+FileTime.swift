import VaultPOSIX

extension StorageTime {
    /// A file's time as a storage time.
    init(_ time: FileTime) {
        self.init(seconds: time.seconds, nanoseconds: time.nanoseconds)
    }
}

extension StorageTime {
    /// The current time by this machine's clock.
    package static var now: StorageTime { StorageTime(FileTime.now) }
}
