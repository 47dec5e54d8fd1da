import Foundation

/// Runs the built `vault` executable, as a user would.
struct VaultProcess {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The `vault` executable next to the test bundle.
    static let executable: URL = {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = testBinary.deletingLastPathComponent()
        // On Linux the test bundle is an executable in the build folder; on macOS a bundle inside it.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("vault").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("vault")
    }()

    /// Environment for every run: a password, nothing from the developer's shell that vault reads.
    var environment: [String: String] = ["VAULT_PASSWORD": "test password", "PATH": "/usr/bin:/bin"]

    /// Run as this user ID (through `setpriv`), or as the test's own user.
    var userID: UInt32?

    /// The same runner, running vault as another user. Requires root.
    func asUser(_ id: UInt32) -> VaultProcess {
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

    /// Starts `vault ARGUMENTS` without waiting; its output is discarded.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        configure(process, arguments)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `vault ARGUMENTS` and waits for it.
    @discardableResult
    func run(_ arguments: [String], input: String? = nil) throws -> Result {
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

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String

    /// Creates the directory in `parent` (default: the temporary directory).
    init(in parent: String? = nil) throws {
        let temporary = parent ?? NSTemporaryDirectory()
        let base = temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary
        var bytes = Array((base + "/vault-cli-XXXXXX").utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: bytes)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
