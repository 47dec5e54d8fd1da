/// Why a backup looks like it captured a ransomware attack: stored in the
/// snapshot manifest's optional `suspect` field (docs/format.md, "Snapshots").
///
/// Readers that do not know the field ignore it; a snapshot without it is
/// not suspect.
package struct SnapshotSuspicion: Sendable, Codable, Hashable {
    /// Files whose contents the backup compared: new or changed files, a
    /// rename counted once.
    package var filesExamined: Int = 0
    /// Files that look encrypted (each counted once, whatever the number of signs).
    package var filesSuspicious: Int = 0
    /// Files whose previous version compressed and whose new one does not.
    package var becameIncompressible: Int = 0
    /// Files whose first bytes no longer match their extension (or, for a
    /// text extension, whose contents no longer compress).
    package var signatureMismatches: Int = 0
    /// Files renamed to a new extension that many renames share, with incompressible contents.
    package var renamed: Int = 0
    /// The shared new extensions of those renames (at most 5, most used first, without the dot).
    package var renamedTo: [String] = []
    /// Up to 20 suspicious paths.
    package var examples: [String] = []

    /// Creates an empty record.
    package init() {}
}
