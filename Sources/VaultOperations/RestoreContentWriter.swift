import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Writes the contents of a restore's files: reads each needed pack once,
/// in large ranges; decodes the blobs on every core; writes each chunk
/// straight to its offset in every file that has it; finishes each file
/// (size, metadata, rename into place) as soon as its last chunk is in.
///
/// Files are written under a temporary name created with `O_EXCL |
/// O_NOFOLLOW` and renamed into place only when complete, so an
/// interrupted restore never leaves a partial file under a real name. A
/// chunk that is all zeros is not written: the file gets a hole there.
///
/// The task that runs ``run()`` owns every descriptor; child tasks only
/// read and decode.
final class RestoreContentWriter {
    private let repository: Repository
    private let target: RestoreTarget
    private let report: RestoreReport
    private let metadata: RestoreMetadata
    private let interrupt: InterruptFlag
    private let onProgress: (RestoreProgress) -> Void
    private let refreshLock: () async throws -> Void

    /// The files, with their state once ``run()`` returns.
    private(set) var files: [RestorePlan.File]
    private var chunks: [Digest256: RestorePlan.Chunk]
    private var openFiles: Set<Int> = []
    private var clock: UInt64 = 0
    private let maximumOpenFiles: Int
    private let maximumInFlight: Int
    private var progress = RestoreProgress()
    private let started = Timestamp.now()
    private var lastReport: Int64 = 0

    init(
        plan: RestorePlan, repository: Repository, target: RestoreTarget, report: RestoreReport, metadata: RestoreMetadata,
        interrupt: InterruptFlag, maximumOpenFiles: Int = 256, progress: @escaping (RestoreProgress) -> Void,
        refreshLock: @escaping () async throws -> Void
    ) {
        self.files = plan.files
        self.chunks = plan.chunks
        self.repository = repository
        self.target = target
        self.report = report
        self.metadata = metadata
        self.interrupt = interrupt
        self.maximumOpenFiles = max(2, maximumOpenFiles)
        self.maximumInFlight = max(2, 2 * ProcessInfoCores.count)
        self.onProgress = progress
        self.refreshLock = refreshLock
        self.progress.filesTotal = plan.files.count
        self.progress.bytesTotal = plan.bytesTotal
    }

    /// Writes every file.
    ///
    /// - Throws: ``OperationError`` with code `.interrupted`; then no
    ///   temporary file is left behind. Problems with single files are
    ///   reported, not thrown.
    func run() async throws {
        for index in files.indices where files[index].remaining == 0 {
            target.trim()
            if open(index) != nil {
                finish(index)
            }
        }
        let reads = RestorePackRead.plan(chunks.map { (id: $0.key, location: $0.value.location, firstFile: $0.value.placements[0].file) })
        let repository = self.repository
        do {
            try await withThrowingTaskGroup(of: [RestorePackRead.Decoded].self) { group in
                var next = 0
                while next < reads.count, next < maximumInFlight {
                    let read = reads[next]
                    group.addTask { await read.decode(from: repository) }
                    next += 1
                }
                while let decoded = try await group.next() {
                    for blob in decoded {
                        write(blob)
                    }
                    reportIfDue()
                    try interrupt.check()
                    try await refreshLock()
                    if next < reads.count {
                        let read = reads[next]
                        group.addTask { await read.decode(from: repository) }
                        next += 1
                    }
                }
            }
        } catch {
            abandonUnfinished(reason: nil)
            throw error
        }
        abandonUnfinished(reason: "not all of its contents could be read")
        reportIfDue(force: true)
    }

    // MARK: Writing

    private func write(_ blob: RestorePackRead.Decoded) {
        guard let chunk = chunks.removeValue(forKey: blob.id) else { return }
        target.trim()
        switch blob.result {
        case .failure(let error):
            for placement in chunk.placements {
                fail(Int(placement.file), error.message)
            }
        case .success(let bytes):
            for placement in chunk.placements {
                let index = Int(placement.file)
                guard files[index].state != .failed, let descriptor = open(index) else { continue }
                if !blob.isAllZero {
                    var failure: SystemError?
                    bytes.withUnsafeBytes { buffer in
                        do throws(SystemError) {
                            try descriptor.writeAll(toAbsoluteOffset: placement.offset, buffer)
                        } catch {
                            failure = error
                        }
                    }
                    if let failure {
                        fail(index, "cannot write: \(failure.code)")
                        continue
                    }
                    report.summary.bytesWritten += Int64(bytes.count)
                    files[index].writtenEnd = max(files[index].writtenEnd, placement.offset + Int64(bytes.count))
                }
                progress.bytesDone += Int64(bytes.count)
                files[index].remaining -= 1
                if files[index].remaining == 0 {
                    finish(index)
                }
            }
        }
    }

    /// The open temporary file of `index`, created on first use and
    /// reopened after it was closed to stay within the descriptor budget.
    ///
    /// - Returns: The descriptor, or `nil` when the file failed (reported).
    private func open(_ index: Int) -> FileDescriptor? {
        clock += 1
        files[index].lastUse = clock
        if let descriptor = files[index].descriptor { return descriptor }
        if openFiles.count >= maximumOpenFiles {
            closeLeastRecentlyUsed()
        }
        let directory: FileDescriptor
        do {
            directory = try target.descriptor(of: files[index].directory)
        } catch {
            fail(index, "cannot open its directory: \(error.code)")
            return nil
        }
        do throws(SystemError) {
            let descriptor: FileDescriptor
            if let temporary = files[index].temporary {
                descriptor = try FileDescriptor.open(temporary, .writeOnly, options: [.noFollow], relativeTo: directory)
            } else {
                var temporary = target.temporaryName()
                while true {
                    do {
                        descriptor = try FileDescriptor.open(
                            temporary, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600, relativeTo: directory)
                        break
                    } catch where error.code == .fileExists {
                        temporary = target.temporaryName()
                    }
                }
                files[index].temporary = temporary
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

    private func closeLeastRecentlyUsed() {
        let victims = openFiles.sorted { files[$0].lastUse < files[$1].lastUse }.prefix(max(1, openFiles.count / 2))
        for index in victims {
            close(index)
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
        guard let descriptor = files[index].descriptor, let temporary = files[index].temporary else { return }
        let file = files[index]
        let path = { self.target.displayPath(file.directory, file.name) }
        if file.writtenEnd < file.size {
            do {
                try descriptor.truncate(to: file.size)
            } catch {
                fail(index, "cannot set the size: \(error.code)")
                return
            }
        }
        let failures = metadata.apply(file.node, to: descriptor)
        close(index)
        do {
            let directory = try target.descriptor(of: file.directory)
            try FileSystem.rename(temporary, relativeTo: directory, to: FilePath(bytes: file.name), relativeTo: directory)
        } catch {
            fail(index, "cannot move into place: \(error.code)")
            return
        }
        files[index].state = .done
        files[index].temporary = nil
        report.summary.filesRestored += 1
        report.summary.bytesRestored += file.size
        progress.filesDone += 1
        if !failures.isEmpty {
            report.problem(path(), "metadata not restored: \(RestoreMetadata.describe(failures))")
        }
    }

    /// Gives up on a file: reports it once and removes its temporary file.
    private func fail(_ index: Int, _ reason: String) {
        guard files[index].state != .failed else { return }
        close(index)
        if let temporary = files[index].temporary, let directory = try? target.descriptor(of: files[index].directory) {
            try? FileSystem.removeFile(temporary, relativeTo: directory)
        }
        files[index].temporary = nil
        files[index].state = .failed
        report.problem(target.displayPath(files[index].directory, files[index].name), reason)
    }

    /// Removes the temporary files of files that were not completed.
    private func abandonUnfinished(reason: String?) {
        for index in files.indices where files[index].state == .writing || files[index].state == .pending {
            if let reason {
                fail(index, reason)
            } else {
                close(index)
                if let temporary = files[index].temporary, let directory = try? target.descriptor(of: files[index].directory) {
                    try? FileSystem.removeFile(temporary, relativeTo: directory)
                }
                files[index].temporary = nil
                files[index].state = .failed
            }
            target.trim()
        }
    }

    private func reportIfDue(force: Bool = false) {
        let now = Timestamp.now().nanoseconds
        guard force || now - lastReport >= 100_000_000 else { return }
        lastReport = now
        progress.elapsedNanoseconds = now - started.nanoseconds
        onProgress(progress)
    }
}
