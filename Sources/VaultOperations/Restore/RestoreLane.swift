import VaultCodecs
import VaultPOSIX
import VaultRepository

/// What a lane is given to do.
enum RestoreLaneWork: Sendable {
    /// Write a decoded chunk at these places (each names the lane's own
    /// index of a file).
    case chunk(bytes: [UInt8], isAllZero: Bool, placements: [RestorePlan.Placement])
    /// A chunk could not be read: these files fail.
    case unreadableChunk(reason: String, placements: [RestorePlan.Placement])
    /// Create a file that has no contents (the lane's own index).
    case emptyFile(Int)
    /// Create a symbolic link or special file.
    case entry(RestorePlan.Entry)
}

/// One of the parallel writers of a restore. Each owns the files and
/// other entries of a share of the directories (so that two lanes do not
/// contend for one directory's lock), their descriptors, and its own
/// directory descriptors: lanes share no mutable state, and creating
/// files, the slow part of a restore, runs on every core.
///
/// A file is created with `O_EXCL | O_NOFOLLOW`, written at its offsets,
/// and when its last chunk is in: sized (a hole where all-zero chunks, and
/// whole blocks of zeros inside other chunks, were not written) and given
/// its metadata, the modification time last. Where
/// an entry may already stand (a directory that existed before the
/// restore), the file is written under a temporary name and renamed into
/// place when complete, so an interrupted restore never leaves a partial
/// file where a good one stood. In a directory the restore created, no
/// rename is needed (it would double the cost of creating the entry):
/// nothing stood there, `O_EXCL` proves it, an interruption removes the
/// partial files, and one a crash leaves has a modification time that
/// makes `--overwrite if-changed` write it again. Symbolic links and
/// special files are handled alike.
///
/// `@unchecked Sendable`: the coordinator hands a lane to one task at a
/// time and takes it back when the task ends.
final class RestoreLane: @unchecked Sendable {
    /// This lane's number.
    let number: Int
    /// What this lane did and what went wrong.
    let report = RestoreReport()
    /// This lane's files.
    private(set) var files: [RestorePlan.File]
    /// Files completed, over the lane's life.
    private(set) var filesFinished = 0

    private let cache: RestoreDirectoryCache
    private var names: RestoreTemporaryNames
    private let metadata: RestoreMetadata
    private var openFiles: Set<Int> = []
    private var clock: UInt64 = 0
    private let maximumOpenFiles: Int

    init(
        number: Int, files: [RestorePlan.File], directories: RestoreDirectories, run: UInt64,
        metadata: RestoreMetadata, maximumOpenFiles: Int
    ) {
        self.number = number
        self.files = files
        self.cache = RestoreDirectoryCache(directories, capacity: 64)
        self.names = RestoreTemporaryNames(run: run, lane: number)
        self.metadata = metadata
        self.maximumOpenFiles = max(2, maximumOpenFiles)
    }

    /// Does the work, in order.
    func perform(_ work: [RestoreLaneWork]) {
        for item in work {
            cache.trim()
            switch item {
            case .chunk(let bytes, let isAllZero, let placements):
                for placement in placements {
                    write(bytes, isAllZero: isAllZero, at: placement.offset, to: Int(placement.file))
                }
            case .unreadableChunk(let reason, let placements):
                for placement in placements {
                    fail(Int(placement.file), reason)
                }
            case .emptyFile(let index):
                if open(index) != nil {
                    finish(index)
                }
            case .entry(let entry):
                make(entry)
            }
        }
    }

    // MARK: Files

    private func write(_ bytes: [UInt8], isAllZero: Bool, at offset: Int64, to index: Int) {
        guard files[index].state != .failed, let descriptor = open(index) else { return }
        if !isAllZero {
            var failure: SystemError?
            var written: (bytes: Int64, end: Int64) = (0, 0)
            bytes.withUnsafeBytes { buffer in
                do throws(SystemError) {
                    written = try Self.writeSparsely(buffer, at: offset, to: descriptor)
                } catch {
                    failure = error
                }
            }
            if let failure {
                fail(index, "cannot write: \(failure.code)")
                return
            }
            report.summary.bytesWritten += written.bytes
            files[index].writtenEnd = max(files[index].writtenEnd, written.end)
        }
        files[index].remaining -= 1
        if files[index].remaining == 0 {
            finish(index)
        }
    }

    /// The file-system block size assumed for holes: a run of zeros that
    /// covers whole blocks of this size (at offsets in the file that are
    /// multiples of it) is not written.
    static let holeBlockSize = 4096

    /// Writes the parts of `bytes` that are not whole blocks of zeros, at
    /// `offset` of a file the restore created (so what is not written reads
    /// as zeros, and the final size is set afterwards): holes in the
    /// original file stay holes, even inside a chunk that is not all zeros.
    ///
    /// - Returns: The bytes written, and the end of the last byte written
    ///   (`0` when nothing was).
    static func writeSparsely(
        _ bytes: UnsafeRawBufferPointer, at offset: Int64, to descriptor: FileDescriptor
    ) throws(SystemError) -> (bytes: Int64, end: Int64) {
        let block = Int64(holeBlockSize)
        var written: Int64 = 0
        var end: Int64 = 0
        var runStart: Int?
        var position = 0
        while position < bytes.count {
            let absolute = offset + Int64(position)
            let blockEnd = min(bytes.count, position + Int(block - absolute % block))
            let segment = UnsafeRawBufferPointer(rebasing: bytes[position..<blockEnd])
            let isHole = blockEnd - position == holeBlockSize && RestorePackRead.isAllZero(segment)
            if isHole, let start = runStart {
                try descriptor.writeAll(toAbsoluteOffset: offset + Int64(start), UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
                written += Int64(position - start)
                end = offset + Int64(position)
                runStart = nil
            } else if !isHole, runStart == nil {
                runStart = position
            }
            position = blockEnd
        }
        if let start = runStart {
            try descriptor.writeAll(toAbsoluteOffset: offset + Int64(start), UnsafeRawBufferPointer(rebasing: bytes[start...]))
            written += Int64(bytes.count - start)
            end = offset + Int64(bytes.count)
        }
        return (written, end)
    }

    /// Whether the restore created the directory (so nothing else is in it).
    private func isNew(_ directory: Int) -> Bool {
        cache.directories.entries[directory].isNew
    }

    /// The open file of `index`, created on first use and reopened after it
    /// was closed to stay within the descriptor budget.
    ///
    /// - Returns: The descriptor, or `nil` when the file failed (reported).
    private func open(_ index: Int) -> FileDescriptor? {
        clock += 1
        files[index].lastUse = clock
        if let descriptor = files[index].descriptor { return descriptor }
        if openFiles.count >= maximumOpenFiles {
            let victims = openFiles.sorted { files[$0].lastUse < files[$1].lastUse }.prefix(max(1, openFiles.count / 2))
            for victim in victims { close(victim) }
        }
        let directory: FileDescriptor
        do {
            directory = try cache.descriptor(of: files[index].directory)
        } catch {
            fail(index, "cannot open its directory: \(error.code)")
            return nil
        }
        do throws(SystemError) {
            let descriptor: FileDescriptor
            if let name = files[index].writingName {
                descriptor = try FileDescriptor.open(name, .writeOnly, options: [.noFollow], relativeTo: directory)
            } else {
                (descriptor, files[index].writingName, files[index].isInPlace) = try create(files[index], in: directory)
                files[index].state = .writing
            }
            files[index].descriptor = descriptor
            openFiles.insert(index)
            return descriptor
        } catch {
            fail(index, "cannot create: \(error.code)")
            return nil
        }
    }

    /// Creates a file: under its own name in a directory the restore
    /// created, else (or should something be there after all) under a
    /// temporary name.
    private func create(_ file: RestorePlan.File, in directory: FileDescriptor) throws(SystemError) -> (FileDescriptor, FilePath, Bool) {
        let options: FileDescriptor.OpenOptions = [.create, .exclusive, .noFollow]
        if isNew(file.directory) {
            let name = FilePath(bytes: file.name)
            do {
                return (try FileDescriptor.open(name, .writeOnly, options: options, permissions: 0o600, relativeTo: directory), name, true)
            } catch where error.code == .fileExists {
                // Someone put something there meanwhile: replace it safely.
            }
        }
        while true {
            let temporary = names.next()
            do {
                return (try FileDescriptor.open(temporary, .writeOnly, options: options, permissions: 0o600, relativeTo: directory), temporary, false)
            } catch where error.code == .fileExists {
                continue
            }
        }
    }

    private func close(_ index: Int) {
        guard let descriptor = files[index].descriptor else { return }
        try? descriptor.close()
        files[index].descriptor = nil
        openFiles.remove(index)
    }

    /// Completes a file whose every chunk is written: size, metadata, and
    /// the rename into place.
    private func finish(_ index: Int) {
        guard let descriptor = files[index].descriptor, let writingName = files[index].writingName else { return }
        let file = files[index]
        if file.writtenEnd < file.size {
            do {
                try descriptor.truncate(to: file.size)
            } catch {
                fail(index, "cannot set the size: \(error.code)")
                return
            }
        }
        let failures = metadata.apply(file.attributes, to: descriptor)
        close(index)
        if !file.isInPlace {
            do {
                try RestoreTarget.moveIntoPlace(writingName, as: file.name, in: try cache.descriptor(of: file.directory))
            } catch {
                fail(index, "cannot move into place: \(error.code)")
                return
            }
        }
        files[index].state = .done
        files[index].writingName = nil
        filesFinished += 1
        report.summary.filesRestored += 1
        report.summary.bytesRestored += file.size
        if !failures.isEmpty {
            report.problem(cache.displayPath(file.directory, file.name), "metadata not restored: \(RestoreMetadata.describe(failures))")
        }
    }

    /// Gives up on a file: reports it once and removes what was written.
    private func fail(_ index: Int, _ reason: String) {
        guard files[index].state != .failed else { return }
        discard(index)
        report.problem(cache.displayPath(files[index].directory, files[index].name), reason)
    }

    private func discard(_ index: Int) {
        close(index)
        if let name = files[index].writingName, let directory = try? cache.descriptor(of: files[index].directory) {
            try? FileSystem.removeFile(name, relativeTo: directory)
        }
        files[index].writingName = nil
        files[index].state = .failed
    }

    /// Gives up on the files not completed and removes what was written of
    /// them; reports them with `reason` when there is one (an interrupted
    /// restore reports nothing).
    func abandonUnfinished(reason: String?) {
        for index in files.indices where files[index].state == .writing || files[index].state == .pending {
            cache.trim()
            if let reason {
                fail(index, reason)
            } else {
                discard(index)
            }
        }
    }

    // MARK: Other entries

    /// Makes a symbolic link or special file and sets its metadata: in a
    /// directory the restore created, under its own name; elsewhere under a
    /// temporary name, renamed into place (replacing what was there).
    private func make(_ entry: RestorePlan.Entry) {
        let node = entry.node
        let path = { self.cache.displayPath(entry.directory, node.name) }
        let directory: FileDescriptor
        do {
            directory = try cache.descriptor(of: entry.directory)
        } catch {
            report.problem(path(), "cannot open its directory: \(error.code)")
            return
        }
        func create(_ name: FilePath) throws(SystemError) {
            switch node.type {
            case .symlink:
                try FileSystem.makeSymbolicLink(name, pointingTo: node.linkTarget, relativeTo: directory)
            case .fifo:
                try FileSystem.makeSpecialFile(name, kind: .fifo, permissions: 0o600, relativeTo: directory)
            case .socket:
                try FileSystem.makeSpecialFile(name, kind: .socket, permissions: 0o600, relativeTo: directory)
            case .characterDevice:
                try FileSystem.makeSpecialFile(name, kind: .characterDevice, permissions: 0o600, device: node.rdev, relativeTo: directory)
            case .blockDevice:
                try FileSystem.makeSpecialFile(name, kind: .blockDevice, permissions: 0o600, device: node.rdev, relativeTo: directory)
            case .file, .directory:
                break
            }
        }
        let finalName = FilePath(bytes: node.name)
        var name = finalName
        do throws(SystemError) {
            var created = false
            if isNew(entry.directory) {
                do {
                    try create(finalName)
                    created = true
                } catch where error.code == .fileExists {
                    // Someone put something there meanwhile: replace it safely.
                }
            }
            while !created {
                name = names.next()
                do {
                    try create(name)
                    created = true
                } catch where error.code == .fileExists {
                    continue
                }
            }
        } catch {
            report.problem(path(), "cannot create: \(error.operation): \(error.code)")
            return
        }
        let failures = metadata.apply(node, toEntry: name, in: directory)
        if name != finalName {
            do {
                try RestoreTarget.moveIntoPlace(name, as: node.name, in: directory)
            } catch {
                try? FileSystem.removeFile(name, relativeTo: directory)
                report.problem(path(), "cannot move into place: \(error.code)")
                return
            }
        }
        if node.type == .symlink {
            report.summary.symbolicLinks += 1
        } else {
            report.summary.specialFiles += 1
        }
        if !failures.isEmpty {
            report.problem(path(), "metadata not restored: \(RestoreMetadata.describe(failures))")
        }
    }
}
