#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// Flushes every file system write of the file system this descriptor
    /// is on (`syncfs`), or of all file systems (`sync`) where the C library
    /// has no `syncfs`. One call instead of an `fsync` per file written.
    package func syncFileSystem() {
        if let syncFileSystem = Self.cSyncFileSystem {
            _ = syncFileSystem(rawValue)
        } else {
            Glibc.sync()
        }
    }

    private typealias SyncFS = @convention(c) (Int32) -> Int32

    /// The C library's `syncfs`, looked up at run time because the Glibc module does not declare it.
    private static let cSyncFileSystem: SyncFS? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: SyncFS.self)
    }()
}
