import VaultCodecs
import VaultRepository

/// Which repository, set, host and folder a ``SyncState`` belongs to.
package struct SyncStateIdentity: Hashable, Sendable {
    /// The repository's location, as its storage names it.
    package var location: String
    /// The SHA-256 of the repository's `config` object (unique to each
    /// repository: it holds a random ID, sealed in an encrypted one).
    package var config: Digest256
    /// The sync set's name.
    package var set: String
    /// The host whose base the state describes.
    package var host: String
    /// The folder's absolute path.
    package var folder: [UInt8]

    /// Creates an identity.
    package init(location: String, config: Digest256, set: String, host: String, folder: [UInt8]) {
        self.location = location
        self.config = config
        self.set = set
        self.host = host
        self.folder = folder
    }
}

/// What one host's last clean sync of a set left behind, kept on that
/// host outside the repository (README, "Sync"; ``SyncStateStore``).
///
/// Written only after a sync that ended with the folder equal to the
/// host's base and the base matching the set's head (nothing pending,
/// unsettled, skipped or unreadable). It records:
/// - the names under `snapshots/` then, each marked *relevant* when it is
///   a head of the set or a base of this host for the set (the only
///   snapshots that decide the set's head and this host's base), or when
///   it could not be read;
/// - the folder's ``SyncFolderListing`` from a walk made before the scan
///   that produced the base;
/// - that base's ID, and the set's head then.
///
/// If the names are the same now (snapshot names are the SHA-256 of
/// their sealed bytes, so the same names are the same snapshots) and a
/// new walk gives the same listing, neither side changed and there is
/// nothing to do. The file is a cache: anything unexpected in it makes
/// the sync run in full.
package struct SyncState: Sendable, Equatable {
    /// Whose state this is.
    package var identity: SyncStateIdentity
    /// The host's base when the state was written.
    package var base: SnapshotID
    /// The set's head when the state was written (the base's `head`).
    package var head: SnapshotID
    /// The names under `snapshots/`, and whether each is relevant.
    package var snapshots: [String: Bool]
    /// The folder as a walk before the base's scan saw it.
    package var folder: SyncFolderListing

    /// Creates a state.
    package init(identity: SyncStateIdentity, base: SnapshotID, head: SnapshotID, snapshots: [String: Bool], folder: SyncFolderListing) {
        self.identity = identity
        self.base = base
        self.head = head
        self.snapshots = snapshots
        self.folder = folder
    }

    /// The largest state file read; a larger one is ignored.
    static let maximumSize = 64 << 20
    static let magic = Array("VSYNCST1".utf8)

    /// The file's bytes (docs/format.md, "Sync state file").
    package func encoded() -> [UInt8] {
        var bytes = Self.magic
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        func append(field: [UInt8]) {
            append(UInt32(truncatingIfNeeded: field.count))
            bytes.append(contentsOf: field)
        }
        append(field: Array(identity.location.utf8))
        bytes += identity.config.bytes
        append(field: Array(identity.set.utf8))
        append(field: Array(identity.host.utf8))
        append(field: identity.folder)
        bytes += base.digest.bytes
        bytes += head.digest.bytes
        bytes += folder.digest.bytes
        append(folder.entries)
        let names = snapshots.keys.sorted()
        append(UInt32(truncatingIfNeeded: names.count))
        for name in names {
            bytes.append(snapshots[name] == true ? 1 : 0)
            append(field: Array(name.utf8))
        }
        bytes += SHA256Hasher.hash(bytes).bytes
        return bytes
    }

    /// Decodes a state file; `nil` when it is not one exactly as
    /// ``encoded()`` writes it (truncated, damaged, another version).
    package init?(decoding bytes: [UInt8]) {
        guard bytes.count >= Self.magic.count + Digest256.byteCount, bytes.count <= Self.maximumSize else { return nil }
        let body = bytes[..<(bytes.count - Digest256.byteCount)]
        guard let checksum = Digest256(bytes: bytes[(bytes.count - Digest256.byteCount)...]),
              SHA256Hasher.hash(Array(body)) == checksum else { return nil }
        var reader = Reader(bytes: body)
        guard reader.take(Self.magic.count).elementsEqual(Self.magic),
              let location = reader.string(), let config = reader.digest(), let set = reader.string(), let host = reader.string(),
              let folderPath = reader.field(), let base = reader.digest(), let head = reader.digest(), let folderDigest = reader.digest(),
              let entries: UInt64 = reader.integer(), let count: UInt32 = reader.integer(),
              Int(count) <= reader.remaining / 5 else { return nil }
        var snapshots: [String: Bool] = [:]
        snapshots.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let flag: UInt8 = reader.integer(), flag <= 1, let name = reader.string(), snapshots[name] == nil else { return nil }
            snapshots[name] = flag == 1
        }
        guard reader.remaining == 0 else { return nil }
        self.init(
            identity: SyncStateIdentity(location: location, config: config, set: set, host: host, folder: folderPath),
            base: SnapshotID(base), head: SnapshotID(head), snapshots: snapshots, folder: SyncFolderListing(digest: folderDigest, entries: entries)
        )
    }

    /// Reads a byte slice front to back; every read past the end is `nil`.
    private struct Reader {
        var bytes: ArraySlice<UInt8>

        var remaining: Int { bytes.count }

        mutating func take(_ count: Int) -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count else {
                bytes = []
                return []
            }
            let part = bytes.prefix(count)
            bytes = bytes.dropFirst(count)
            return part
        }

        mutating func integer<T: FixedWidthInteger>() -> T? {
            let size = MemoryLayout<T>.size
            guard bytes.count >= size else { return nil }
            var value: T = 0
            for (shift, byte) in take(size).enumerated() {
                value |= T(byte) << (8 * shift)
            }
            return value
        }

        mutating func digest() -> Digest256? {
            guard bytes.count >= Digest256.byteCount else { return nil }
            return Digest256(bytes: take(Digest256.byteCount))
        }

        mutating func field() -> [UInt8]? {
            guard let length: UInt32 = integer(), Int(length) <= bytes.count else { return nil }
            return Array(take(Int(length)))
        }

        mutating func string() -> String? {
            guard let field = field() else { return nil }
            return String(validating: field, as: UTF8.self)
        }
    }
}
