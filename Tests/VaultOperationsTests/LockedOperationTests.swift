import Foundation
import Testing
import VaultOperations
import VaultRepository

/// Operations stop at a safe point when `withLock` cancels them (their lock
/// was lost): no snapshot is written, and no lock is left behind.
@Suite("operations under a lock")
struct LockedOperationTests {
    @Test("a backup whose task is cancelled (as a lost lock cancels it) stops, writes no snapshot and removes its lock")
    func cancelledBackupWritesNoSnapshot() async throws {
        let fixture = try await BackupFixture(encrypted: false)
        // An endless, slow stream: the backup can only end by being stopped.
        let endless = StandardInputSource(fileName: "endless") { buffer in
            usleep(5_000)
            let count = min(buffer.count, 4096)
            var state = UInt64.random(in: 1...UInt64.max)
            for index in 0..<count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                buffer[index] = UInt8(truncatingIfNeeded: state)
            }
            return count
        }
        let repository = fixture.repository
        let backup = Task {
            try await Backup(repository: repository, options: BackupOptions(paths: [])).run(stream: endless)
        }
        // Wait until the backup holds its lock, then cancel it.
        for _ in 0..<500 where try await repository.list(.locks).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(300))
        backup.cancel()
        let error = await #expect(throws: OperationError.self) { _ = try await backup.value }
        #expect(error?.code == .interrupted)
        #expect(try await repository.list(.snapshots).isEmpty)
        #expect(try await repository.list(.locks).isEmpty)
    }
}
