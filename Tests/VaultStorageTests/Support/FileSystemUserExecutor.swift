import Foundation
import Glibc

/// A task executor whose one thread accesses files as another user.
///
/// Root ignores permission bits, so tests running as root cannot see a
/// read-only folder refuse a write. Linux keeps a *file-system* user ID
/// per thread (`setfsuid`); when it changes from 0 to another user, the
/// kernel drops the thread's power to override permissions, and checks
/// them as for that user. Work run on this executor
/// (`withTaskExecutorPreference`) runs on that thread; other threads keep
/// their user.
final class FileSystemUserExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var started = false
    private var userAfterSwitch: UInt32 = 0

    /// The user ID the thread took on; check it against the one asked for.
    var effectiveFileSystemUser: UInt32 {
        condition.lock()
        defer { condition.unlock() }
        while !started { condition.wait() }
        return userAfterSwitch
    }

    /// Starts the thread.
    ///
    /// - Parameter userID: The file-system user ID the thread takes on.
    init(userID: UInt32) {
        let thread = Thread { [self] in run(userID: userID) }
        thread.start()
    }

    /// Lets the thread finish once its queued jobs have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    private func run(userID: UInt32) {
        _ = Self.setFileSystemUser(userID)
        let now = Self.setFileSystemUser(UInt32.max)  // -1 changes nothing, returns the current ID
        condition.lock()
        userAfterSwitch = UInt32(bitPattern: now)
        started = true
        condition.broadcast()
        while true {
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty { break }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
        }
        condition.unlock()
        _ = Self.setFileSystemUser(0)
    }

    private typealias SetFSUID = @convention(c) (UInt32) -> Int32

    /// `setfsuid`, which the Glibc module does not declare; returns the
    /// previous file-system user ID.
    private static func setFileSystemUser(_ userID: UInt32) -> Int32 {
        guard let symbol = dlsym(nil, "setfsuid") else { return -1 }
        return unsafeBitCast(symbol, to: SetFSUID.self)(userID)
    }
}
