import VaultCodecs
import VaultRepository

/// Why a blob cannot be read: every copy of it is missing or damaged.
package struct VerifyBlobLoss: Sendable, Hashable, CustomStringConvertible {
    /// The blob.
    package var blob: Digest256
    /// Data or tree.
    package var type: BlobType
    /// The pack the (first) bad copy is in; `nil` when no index names the blob.
    package var pack: PackID?
    /// The blob's type and ID together: what names it.
    package var key: BlobKey { BlobKey(type, blob) }
    /// What is wrong, e.g. `the pack is missing`, `AES-256-GCM tag mismatch`.
    package var reason: String

    /// Creates a loss.
    ///
    /// - Parameters:
    ///   - blob: The blob.
    ///   - type: Data or tree.
    ///   - pack: The pack the bad copy is in, or `nil` when no index names the blob.
    ///   - reason: What is wrong.
    package init(blob: Digest256, type: BlobType, pack: PackID?, reason: String) {
        self.blob = blob
        self.type = type
        self.pack = pack
        self.reason = reason
    }

    /// `chunk 9c1e44f0: in pack 47d0a1b2: AES-256-GCM tag mismatch`.
    package var description: String {
        if let pack {
            return "\(type.verifyName) \(blob.shortHex): in pack \(pack.shortHex): \(reason)"
        }
        return "\(type.verifyName) \(blob.shortHex): \(reason)"
    }
}

/// A file, or a directory with everything below it, that a snapshot can no
/// longer restore, and why.
package struct VerifyAffectedPath: Sendable, Hashable, CustomStringConvertible {
    /// The snapshot.
    package var snapshot: SnapshotID
    /// The path as it was backed up, e.g. `/srv/projects/thesis.tex`.
    package var path: String
    /// Whether the path is a directory whose tree is lost, so everything
    /// below it is lost too; otherwise it is a file missing some contents.
    package var isDirectory: Bool
    /// The first lost blob of the file (in file order), or the directory's tree.
    package var loss: VerifyBlobLoss
    /// How many more of the file's chunks are lost.
    package var otherLostChunks: Int

    /// Creates an affected path.
    ///
    /// - Parameters:
    ///   - snapshot: The snapshot.
    ///   - path: The path as it was backed up.
    ///   - isDirectory: Whether it is a directory whose tree is lost.
    ///   - loss: The first lost blob.
    ///   - otherLostChunks: How many more of a file's chunks are lost.
    package init(snapshot: SnapshotID, path: String, isDirectory: Bool, loss: VerifyBlobLoss, otherLostChunks: Int = 0) {
        self.snapshot = snapshot
        self.path = path
        self.isDirectory = isDirectory
        self.loss = loss
        self.otherLostChunks = otherLostChunks
    }

    /// `snapshot 3f2a1b0c: /srv/projects/thesis.tex (chunk 9c1e44f0: in pack 47d0a1b2: AES-256-GCM tag mismatch)`.
    package var description: String {
        var line = "snapshot \(snapshot.shortHex): \(path)"
        if isDirectory {
            line += " and everything below it"
        }
        line += " (\(loss)"
        if otherLostChunks > 0 {
            line += "; \(otherLostChunks) more \(otherLostChunks == 1 ? "chunk" : "chunks") lost"
        }
        return line + ")"
    }
}
