import Synchronization
import VaultStorage

/// Whole packs of tree blobs, read once and kept for the next trees, for
/// storage on which every request is a round trip (an object store).
///
/// Walking a snapshot loads its trees one at a time, each a few hundred
/// bytes. Read one request each from S3, a restore of 43,000 files made
/// about 2,900 ranged `GET`s, and the server read a whole 4 MiB chunk of
/// its own for each (SeaweedFS: 18 GB read for 0.6 GB of packs). Trees are
/// written together in packs of their own, in the order a walk meets them,
/// so the next trees are mostly in the pack just read: reading it whole
/// serves them all with one request (what restic gets from its cache of
/// tree packs).
///
/// The bytes kept are stored bytes, as hostile as any read from storage:
/// each blob taken from them is opened and checked against its ID exactly
/// as a ranged read would be. When the pack cannot be read whole (too
/// large, or an error), ``Repository/loadTree(_:index:)`` reads the one
/// blob instead, and that read reports any error the usual way.
///
/// Memory: at most ``capacity`` packs of at most ``largestPack`` bytes.
/// Loads of trees in the same pack that arrive while it is being read wait
/// for that one read instead of starting their own.
package final class TreePackCache: Sendable {
    /// The most packs kept; the least recently used goes first.
    package static let capacity = 2
    /// The largest pack read whole (a pack holds 16 MiB of blobs and may end
    /// with one blob past that).
    package static let largestPack: Int64 = 24 << 20
    /// From this preferred read size on, a storage gets a cache
    /// (``StorageCapabilities/preferredReadSize``: a folder prefers 256 KiB,
    /// S3 4 MiB).
    package static let minimumPreferredReadSize = 1 << 20

    private typealias Read = Task<[UInt8]?, Never>
    private let packs = Mutex<[(pack: PackID, read: Read)]>([])

    package init() {}

    /// The stored bytes of `location`'s blob, from its whole pack, read now
    /// or kept from before; `nil` when the pack cannot be read whole.
    package func storedBlob(at location: BlobLocation, in storage: any Storage) async -> [UInt8]? {
        let pack = location.pack
        let read = packs.withLock { packs -> Read in
            if let index = packs.firstIndex(where: { $0.pack == pack }) {
                let entry = packs.remove(at: index)
                packs.append(entry)
                return entry.read
            }
            let read = Read { await Self.readWhole(pack, from: storage) }
            packs.append((pack, read))
            if packs.count > Self.capacity { packs.removeFirst() }
            return read
        }
        guard let bytes = await read.value else { return nil }
        let start = Int(location.offset)
        let (end, overflow) = start.addingReportingOverflow(Int(location.length))
        guard !overflow, end <= bytes.count else { return nil }
        return Array(bytes[start..<end])
    }

    private static func readWhole(_ pack: PackID, from storage: any Storage) async -> [UInt8]? {
        let name = ObjectName(pack)
        guard let info = try? await storage.stat(name), info.size > 0, info.size <= largestPack,
              let bytes = try? await storage.get(name), Int64(bytes.count) == info.size else { return nil }
        return bytes
    }
}
