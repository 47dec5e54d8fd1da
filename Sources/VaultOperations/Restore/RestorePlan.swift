import VaultCodecs
import VaultPOSIX
import VaultRepository

/// What a restore will do, computed by ``RestorePlanner`` without changing
/// the target, and carried out by the later phases: the entries of the
/// target to remove, the directories to create, the files whose contents
/// to write and where each chunk goes, the other entries and hard links to
/// make, and the directories whose metadata to set last. `--dry-run` shows
/// it (``preview(_:)``) and stops.
struct RestorePlan {
    /// A regular file whose contents the restore writes: what the lanes
    /// need of its node and their progress on it, about 130 bytes beside
    /// its name, chunk IDs and extended attributes.
    struct File {
        /// What happened to the file so far.
        enum State {
            /// Nothing written yet.
            case pending
            /// Being written under ``writingName``; the descriptor may be closed for a while.
            case writing
            /// Complete and renamed into place.
            case done
            /// Given up; the problem is reported.
            case failed
        }

        /// The directory holding the file.
        var directory: Int
        /// The file's name there.
        var name: [UInt8]
        /// Its metadata, set when it is complete.
        var attributes: RestoreMetadata.Attributes
        /// Its chunks, in order (for `--verify`).
        var content: [Digest256]
        /// Its size: the sum of its chunks' lengths.
        var size: Int64
        /// Chunk placements not yet written.
        var remaining: Int
        /// Whether an entry stands under its name now (it is replaced).
        var replaces = false
        /// What happened so far.
        var state = State.pending
        /// The name written under until the file is complete: a temporary
        /// name, or in a directory the restore created, the file's own name.
        var writingName: FilePath?
        /// Whether ``writingName`` is the file's own name (no rename at the end).
        var isInPlace = false
        /// The open temporary file, while open.
        var descriptor: FileDescriptor?
        /// When the descriptor was last used, to close the least used first.
        var lastUse: UInt64 = 0
        /// The end of the last byte written (holes are not written).
        var writtenEnd: Int64 = 0

        /// A file to write: `node`'s metadata and chunks into `name` in `directory`.
        init(directory: Int, name: [UInt8], node: TreeNode, size: Int64, remaining: Int, replaces: Bool = false) {
            self.directory = directory
            self.name = name
            self.attributes = RestoreMetadata.Attributes(node)
            self.content = node.content
            self.size = size
            self.remaining = remaining
            self.replaces = replaces
        }
    }

    /// Where a chunk's plaintext goes: a file and an offset in it.
    struct Placement {
        /// The index of the file in ``files``.
        var file: Int32
        /// The offset in the file.
        var offset: Int64
    }

    /// A chunk the restore needs: where it is stored and where it goes.
    struct Chunk {
        /// Where it is stored.
        var location: BlobLocation
        /// Where it goes, in file order.
        var placements: [Placement]
    }

    /// The first name of a set of hard links: the one the others link to.
    enum LinkLeader {
        /// A file this restore writes.
        case written(file: Int)
        /// A file that was already in place, unchanged.
        case existing(directory: Int, name: [UInt8])
    }

    /// A further name of a hard-linked file.
    struct Link {
        /// The directory holding the new name.
        var directory: Int
        /// The new name.
        var name: [UInt8]
        /// The name it links to.
        var leader: LinkLeader
        /// Whether an entry stands under its name now (it is replaced).
        var replaces = false
    }

    /// A symbolic link or special file to create.
    struct Entry: Sendable {
        /// The directory holding it.
        var directory: Int
        /// Its node.
        var node: TreeNode
        /// Whether an entry stands under its name now (it is replaced).
        var replaces = false
    }

    /// An entry of the target to remove before anything is written.
    struct Removal {
        /// Why it goes.
        enum Reason {
            /// Not in the snapshot (`--delete`).
            case extraneous
            /// A temporary file an interrupted restore left.
            case leftover
            /// An entry of another kind stands where the snapshot's goes.
            case inTheWay
        }

        /// The directory holding it (one that exists).
        var directory: Int
        /// Its name.
        var name: [UInt8]
        /// Whether it is a directory (removed with everything in it).
        var isDirectory: Bool
        /// Why it goes.
        var reason: Reason
    }

    /// A directory the restore creates.
    struct CreatedDirectory {
        /// Its index in the directory table.
        var directory: Int
        /// Whether it takes the place of an entry of another kind.
        var replaces: Bool
    }

    /// A file already in place that matched the snapshot (`--overwrite if-changed`).
    struct UnchangedFile {
        /// The directory holding the file.
        var directory: Int
        /// Its name.
        var name: [UInt8]
        /// Its node.
        var node: TreeNode
    }

    /// Files to write, in the order of the walk.
    var files: [File] = []
    /// Chunks to read, by ID.
    var chunks: [Digest256: Chunk] = [:]
    /// Symbolic links and special files to create.
    var entries: [Entry] = []
    /// Hard links to make once the files are written.
    var links: [Link] = []
    /// Directories whose metadata to set, in the order they were created
    /// (parents first): set in reverse, after everything inside them.
    var directories: [(index: Int, node: TreeNode)] = []
    /// Files left in place because they matched.
    var unchangedFiles: [UnchangedFile] = []
    /// Symbolic links left in place because they matched; reading them
    /// changed their access time, which is set back.
    var unchangedLinks: [UnchangedFile] = []
    /// Entries to remove first, in the order of the walk.
    var removals: [Removal] = []
    /// Directories to create, parents first.
    var createdDirectories: [CreatedDirectory] = []
    /// Bytes of file contents to write.
    var bytesTotal: Int64 = 0
}

/// What a restore did and what went wrong, gathered as it goes.
final class RestoreReport {
    /// Counts.
    var summary = RestoreSummary()
    /// Problems with single entries.
    private(set) var problems: [RestoreProblem] = []

    /// Records a problem with one entry.
    func problem(_ path: String, _ reason: String) {
        problems.append(RestoreProblem(path: path, reason: reason))
    }

    /// Adds what another part of the restore did.
    func merge(_ other: RestoreReport) {
        problems += other.problems
        let theirs = other.summary
        summary.filesRestored += theirs.filesRestored
        summary.filesUnchanged += theirs.filesUnchanged
        summary.entriesKept += theirs.entriesKept
        summary.directories += theirs.directories
        summary.symbolicLinks += theirs.symbolicLinks
        summary.hardLinks += theirs.hardLinks
        summary.specialFiles += theirs.specialFiles
        summary.devicesSkipped += theirs.devicesSkipped
        summary.entriesDeleted += theirs.entriesDeleted
        summary.bytesRestored += theirs.bytesRestored
        summary.bytesWritten += theirs.bytesWritten
    }
}
