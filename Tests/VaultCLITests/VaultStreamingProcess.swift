import Foundation
import VaultTestSupport
import Glibc
import Testing

/// A running `vault` whose standard input is a pipe the test holds open
/// (`vault backup --stdin`), so the test decides when the process is
/// mid-stream: after a write to the pipe returns, vault has read all but
/// the pipe's buffer of it, and it cannot finish before the pipe closes.
final class VaultStreamingProcess {
    let process: Process
    private let input: Pipe
    private let outputFile: String
    private let errorFile: String

    /// Starts `vault ARGUMENTS`; its output goes to files in `directory`.
    init(_ vault: VaultProcess, _ arguments: [String], directory: TemporaryDirectory) throws {
        // A write to a pipe whose reader has gone must fail (EPIPE), not end the test process.
        Glibc.signal(SIGPIPE, SIG_IGN)
        process = Process()
        process.executableURL = VaultProcess.executable
        process.arguments = arguments
        process.environment = vault.environment
        input = Pipe()
        let name = UUID().uuidString
        outputFile = directory.appending("stdout-\(name)")
        errorFile = directory.appending("stderr-\(name)")
        FileManager.default.createFile(atPath: outputFile, contents: nil)
        FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        try process.run()
    }

    /// Writes to the process's standard input; returns when the pipe took it all.
    func write(_ bytes: [UInt8]) throws {
        try input.fileHandleForWriting.write(contentsOf: Data(bytes))
    }

    /// Closes standard input: the end of the stream.
    func closeInput() throws {
        try input.fileHandleForWriting.close()
    }

    /// Sends a signal.
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to end, at most `seconds`; kills it (and records an issue) if it does not.
    ///
    /// - Returns: Whether it ended by itself.
    @discardableResult
    func wait(seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("vault did not end within \(seconds) s")
            return false
        }
        process.waitUntilExit()
        return true
    }

    var status: Int32 { process.terminationStatus }
    var wasKilled: Bool { process.terminationReason == .uncaughtSignal }
    var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }
}

/// `count` pseudo-random bytes from a seed (a 64-bit LCG; incompressible enough).
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        if index % 8 == 0 { state = state &* 6364136223846793005 &+ 1442695040888963407 }
        bytes[index] = UInt8(truncatingIfNeeded: state >> (8 * UInt64(index % 8)))
    }
    return bytes
}

/// The entries of a directory (empty when it is missing).
func entries(of directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}
