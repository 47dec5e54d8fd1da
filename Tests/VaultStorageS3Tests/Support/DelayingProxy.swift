import Foundation
import Glibc
import Synchronization

/// A loopback TCP proxy in front of the S3 server that delays traffic, or
/// closes connections, as a slow or broken network would.
final class DelayingProxy: @unchecked Sendable {
    enum Behaviour: Sendable {
        /// Forward at once.
        case pass
        /// Hold every byte for this long before forwarding it.
        case delay(Duration)
        /// Accept, then close without a byte.
        case drop
    }

    let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let behaviour = Mutex<Behaviour>(.pass)
    private let stopped = Mutex(false)

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw SeaweedError("the proxy cannot listen")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Changes what happens to connections from now on.
    func set(_ behaviour: Behaviour) {
        self.behaviour.withLock { $0 = behaviour }
    }

    func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.withLock({ $0 }) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let behaviour = self.behaviour.withLock { $0 }
            if case .drop = behaviour {
                close(client)
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            guard connected else {
                close(client)
                close(upstream)
                continue
            }
            let pumps = Mutex(2)
            for (from, to) in [(client, upstream), (upstream, client)] {
                Thread { [self] in
                    pump(from: from, to: to)
                    shutdown(to, Int32(SHUT_WR))
                    if pumps.withLock({ $0 -= 1; return $0 }) == 0 {
                        close(client)
                        close(upstream)
                    }
                }.start()
            }
        }
    }

    /// Copies bytes until either side closes; the behaviour is read again
    /// for every chunk, so connections already open change too.
    private func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            switch behaviour.withLock({ $0 }) {
            case .pass:
                break
            case .drop:
                shutdown(from, Int32(SHUT_RDWR))
                return
            case .delay(let delay):
                let (seconds, attoseconds) = delay.components
                usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, count - sent) }
                guard written > 0 else { return }
                sent += written
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
