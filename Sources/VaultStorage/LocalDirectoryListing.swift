import Synchronization
import VaultPOSIX

/// A listing of one kind of object in a ``LocalDirectoryStorage``, read one
/// directory entry at a time.
///
/// It holds at most one directory open, walking the kind's folders (the 256
/// shards for `data`) in turn; it skips missing folders, temporary files,
/// entries that are not valid object names (or sit in the wrong shard), and
/// anything that is not a regular file. Dropping the listing closes its
/// directory.
final class LocalDirectoryListing: Sendable {
    private struct State {
        /// The folders still to read, last first.
        var pending: [[String]]
        /// The folder being read and its open stream.
        var current: (components: [String], stream: DirectoryStream)?
    }

    private let kind: ObjectKind
    private let layout: LocalDirectoryLayout
    private let state: Mutex<State>

    /// Prepares a listing; nothing is opened until ``next()``.
    ///
    /// - Parameters:
    ///   - kind: The kind of object to list.
    ///   - layout: The storage's layout.
    init(_ kind: ObjectKind, in layout: LocalDirectoryLayout) {
        self.kind = kind
        self.layout = layout
        self.state = Mutex(State(pending: LocalDirectoryLayout.folders(of: kind).reversed(), current: nil))
    }

    /// The next object, or `nil` when the listing is done.
    ///
    /// - Throws: ``StorageError`` when a folder cannot be read.
    func next() throws(StorageError) -> ObjectInfo? {
        try state.withLock { (state) throws(StorageError) -> ObjectInfo? in
            if kind == .config {
                return try nextConfig(&state)
            }
            while true {
                if state.current == nil {
                    guard let components = state.pending.popLast() else { return nil }
                    let path = layout.folder(components)
                    do throws(SystemError) {
                        state.current = (components, try DirectoryStream.open(path))
                    } catch where error.code == .noSuchFileOrDirectory {
                        continue
                    } catch {
                        throw StorageError(error, "cannot list", nil)
                    }
                }
                let (components, stream) = state.current!
                let entry: DirectoryEntry?
                do throws(SystemError) {
                    entry = try stream.next()
                } catch {
                    state.current = nil
                    var error = error
                    error.path = layout.folder(components)
                    throw StorageError(error, "cannot list", nil)
                }
                guard let entry else {
                    try? stream.close()
                    state.current = nil
                    continue
                }
                if let info = try object(entry, in: components, stream) {
                    return info
                }
            }
        }
    }

    /// The configuration, the first time; there is at most one.
    private func nextConfig(_ state: inout State) throws(StorageError) -> ObjectInfo? {
        guard state.pending.popLast() != nil else { return nil }
        do throws(SystemError) {
            let status = try FileSystem.status(of: layout.path(of: .config))
            return status.type == .regular ? ObjectInfo(name: .config, size: status.size, modificationTime: StorageTime(status.modificationTime)) : nil
        } catch where error.code == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw StorageError(error, "cannot list", nil)
        }
    }

    /// The object a directory entry holds, or `nil` if it holds none.
    private func object(_ entry: DirectoryEntry, in components: [String], _ stream: DirectoryStream) throws(StorageError) -> ObjectInfo? {
        guard entry.type != .directory, !LocalDirectoryLayout.isTemporary(entry.name),
              let text = String(validating: entry.name, as: UTF8.self),
              ObjectName.isValid(text, kind: kind),
              let name = try? ObjectName(kind: kind, name: text),
              LocalDirectoryLayout.folderComponents(of: name) == components
        else { return nil }
        do throws(SystemError) {
            let status = try FileSystem.status(of: FilePath(bytes: entry.name), relativeTo: stream.descriptor)
            return status.type == .regular ? ObjectInfo(name: name, size: status.size, modificationTime: StorageTime(status.modificationTime)) : nil
        } catch where error.code == .noSuchFileOrDirectory {
            return nil  // deleted since the directory was read
        } catch {
            var error = error
            error.path = layout.path(of: name)
            throw StorageError(error, "cannot list", name)
        }
    }
}
