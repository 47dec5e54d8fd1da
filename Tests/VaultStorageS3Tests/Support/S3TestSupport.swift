import Foundation
import Glibc
import Testing
import VaultTestSupport
import VaultStorage
@testable import VaultStorageS3

extension VaultProcess {
    /// A runner of the built `vault` with the S3 server's credentials (and
    /// `extra`) in its environment.
    init(_ server: SeaweedServer, extra: [String: String] = [:]) {
        self.init(environment: server.environment.merging(["VAULT_PASSWORD": "s3 test password", "PATH": "/usr/bin:/bin"]) { $1 }
            .merging(extra) { $1 })
    }
}

/// A temporary folder removed when the value is dropped.
final class ScratchFolder {
    let path: String

    init() throws {
        var bytes = Array((NSTemporaryDirectory() + "vault-s3-XXXXXX").utf8CString)
        guard mkdtemp(&bytes) != nil else { throw SeaweedError("cannot make a temporary folder") }
        path = String(cString: bytes)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A fresh, unique name for a bucket or prefix.
func uniqueName(_ stem: String) -> String {
    "\(stem)-\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
}

/// Writes pseudo-random files of the given sizes under `folder`.
func writeFiles(in folder: String, sizes: [Int], seed: UInt64) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    for (index, size) in sizes.enumerated() {
        var bytes = [UInt8](repeating: 0, count: size)
        for offset in 0..<size {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[offset] = UInt8(truncatingIfNeeded: state >> 33)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/file-\(index).bin"))
    }
}

/// Every regular file below `folder`, by relative path, with its contents.
func contentsOfTree(_ folder: String) throws -> [String: Data] {
    var result: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return result }
    while let relative = enumerator.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
            result[relative] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + relative))
        }
    }
    return result
}
