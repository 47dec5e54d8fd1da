import VaultCodecs
import VaultRepository

/// The blob copies `verify` found bad, and which blobs are therefore lost.
///
/// A blob is lost when no index names it, or when every pack the index
/// says holds it has a bad copy (the pack is missing or truncated, or the
/// copy does not decode to its ID).
struct VerifyBlobDamage {
    /// Bad copies by blob, one per pack.
    private var badCopies: [BlobKey: [VerifyBlobLoss]] = [:]
    /// Unindexed packs whose headers list a blob: where a lost blob might
    /// still be found.
    private var unindexedHolders: [BlobKey: PackID] = [:]

    /// Records a bad copy.
    mutating func record(_ loss: VerifyBlobLoss) {
        guard !isBad(loss.key, in: loss.pack) else { return }
        badCopies[loss.key, default: []].append(loss)
    }

    /// Records that an unindexed pack's header lists `blob`.
    mutating func recordUnindexed(_ blob: BlobKey, in pack: PackID) {
        if unindexedHolders[blob] == nil {
            unindexedHolders[blob] = pack
        }
    }

    /// Whether the copy of `blob` in `pack` is known to be bad.
    func isBad(_ blob: BlobKey, in pack: PackID?) -> Bool {
        badCopies[blob]?.contains { $0.pack == pack } ?? false
    }

    /// Why `blob` is lost, or `nil` when a good (or unchecked) copy remains.
    ///
    /// - Parameters:
    ///   - blob: The blob's type and ID: a blob of the other type with the
    ///     same ID does not stand in for it.
    ///   - index: The index.
    func loss(of blob: BlobKey, in index: VerifyIndex) -> VerifyBlobLoss? {
        let copies = index.copyCount(of: blob)
        guard copies > 0 else {
            let reason = unindexedHolders[blob].map { "not in the index; unindexed pack \($0.shortHex) holds it" } ?? "not in the index"
            return VerifyBlobLoss(blob: blob.id, type: blob.type, pack: nil, reason: reason)
        }
        guard let bad = badCopies[blob], bad.count >= copies else { return nil }
        return bad.min { ($0.pack ?? .zero) < ($1.pack ?? .zero) }
    }
}
