import VaultPOSIX
import VaultRepository

/// What `vault backup` was asked to do.
package struct BackupOptions: Sendable {
    /// The paths to back up (made absolute and normalized by the backup).
    package var paths: [String]
    /// The kind asked for; the first backup of a path set is full whatever is asked.
    package var kind: SnapshotKind = .incremental
    /// Tags recorded in the snapshot.
    package var tags: [String] = []
    /// The host recorded in the snapshot, and used to find the parent.
    package var host: String = HostIdentity.hostName
    /// Which entries to leave out.
    package var excludes: ExcludeRules = ExcludeRules()
    /// Leave out the contents of directories tagged with a `CACHEDIR.TAG`.
    package var excludeCaches = false
    /// Do not cross into other file systems below each path.
    package var oneFileSystem = false
    /// When a snapshot counts as suspect of capturing a ransomware attack; `nil` turns the check off.
    package var ransomwareThreshold: RansomwareThreshold? = .default

    /// Creates options for backing up `paths`.
    package init(paths: [String]) {
        self.paths = paths
    }
}

/// Reads a stream (standard input) as the one file of a snapshot.
package struct StandardInputSource: Sendable {
    /// The file's name in the snapshot.
    package var fileName: String
    /// Reads the next bytes into the buffer; 0 at the end.
    package var read: @Sendable (UnsafeMutableRawBufferPointer) throws -> Int

    /// Creates a stream source.
    package init(fileName: String, read: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.fileName = fileName
        self.read = read
    }
}

extension StandardInputSource {
    /// This process's standard input as the file `fileName`.
    ///
    /// While no input comes (a producer that pauses, a pipe held open),
    /// the read wakes every tenth of a second to look at `interrupt`: once
    /// it is raised the input ends (0), so that a Ctrl-C ends the backup
    /// at once, keeping what was read.
    package static func standardInput(fileName: String, interrupt: InterruptFlag = InterruptFlag()) -> StandardInputSource {
        StandardInputSource(fileName: fileName) { buffer in
            let input = FileDescriptor(rawValue: 0)
            while try !input.waitForInput(milliseconds: 100) {
                if interrupt.isRaised { return 0 }
            }
            return try input.readSome(into: buffer)
        }
    }
}
