import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `vault` executable, as a user would.
package struct VaultProcess: Sendable {
    /// What a run of vault left behind.
    package struct Result: Sendable {
        /// The exit status.
        package var status: Int32
        /// Everything it printed on standard output.
        package var standardOutput: String
        /// Everything it printed on standard error.
        package var standardError: String

        /// A result, for tests that run vault another way.
        package init(status: Int32, standardOutput: String, standardError: String) {
            self.status = status
            self.standardOutput = standardOutput
            self.standardError = standardError
        }
    }

    /// The `vault` executable next to the test bundle.
    package static let executable: URL = {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = testBinary.deletingLastPathComponent()
        // On Linux the test bundle is an executable in the build folder; on macOS a bundle inside it.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("vault").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("vault")
    }()

    /// Environment for every run: a password, nothing from the developer's shell that vault reads.
    package var environment: [String: String]

    /// Run as this user ID (through `setpriv`), or as the test's own user.
    package var userID: UInt32?

    /// A runner whose runs see only `environment` (by default a password and a plain `PATH`).
    package init(environment: [String: String] = ["VAULT_PASSWORD": "test password", "PATH": "/usr/bin:/bin"]) {
        self.environment = environment
    }

    /// The same runner, running vault as another user. Requires root.
    package func asUser(_ id: UInt32) -> VaultProcess {
        var copy = self
        copy.userID = id
        return copy
    }

    private func configure(_ process: Process, _ arguments: [String]) {
        if let userID {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(userID)", "--regid=\(userID)", "--clear-groups", Self.executable.path] + arguments
        } else {
            process.executableURL = Self.executable
            process.arguments = arguments
        }
        process.environment = environment
    }

    /// Starts `vault ARGUMENTS` without waiting; its standard output is
    /// discarded, its standard error goes to `errorFile` if one is given.
    package func start(_ arguments: [String], errorFile: String? = nil) throws -> Process {
        let process = Process()
        configure(process, arguments)
        process.standardOutput = FileHandle.nullDevice
        if let errorFile {
            _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Runs `vault ARGUMENTS` and waits for it.
    @discardableResult
    package func run(_ arguments: [String], input: String? = nil) throws -> Result {
        let process = Process()
        configure(process, arguments)
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
        }
        try inputPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up and blocks the child.
        nonisolated(unsafe) var errorData = Data()
        let errorReader = Thread { errorData = error.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorReader.isFinished { usleep(1000) }
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self)
        )
    }
}
