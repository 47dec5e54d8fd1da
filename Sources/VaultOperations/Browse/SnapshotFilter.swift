import VaultCodecs
import VaultRepository

/// Which snapshots `vault snapshots` and `vault find` consider: by host,
/// tag and backed-up path. The conditions combine: a snapshot must pass
/// each one that is given.
package struct SnapshotFilter: Sendable {
    /// The snapshot's host must be one of these (any host when empty).
    package var hosts: Set<String>
    /// The snapshot must have at least one of these tags (any tags when empty).
    package var tags: Set<String>
    /// The snapshot must include every one of these paths (absolute, normalized).
    package var paths: [String]

    /// Creates a filter.
    ///
    /// - Parameters:
    ///   - hosts: Accepted hosts; none accepts every host.
    ///   - tags: Accepted tags (any of them); none accepts every snapshot.
    ///   - paths: Paths the snapshot must include (all of them), compared
    ///     with the snapshot's backed-up paths after normalizing: relative
    ///     paths are taken from `workingDirectory`, `.`, `..` and repeated
    ///     or trailing slashes resolved, as `vault backup` does.
    ///   - workingDirectory: The directory relative paths start from.
    package init(hosts: [String] = [], tags: [String] = [], paths: [String] = [], workingDirectory: [UInt8] = [UInt8(ascii: "/")]) {
        self.hosts = Set(hosts)
        self.tags = Set(tags)
        self.paths = paths.map { path in
            let bytes = Array(path.utf8)
            let absolute = bytes.first == UInt8(ascii: "/") ? bytes : workingDirectory + [UInt8(ascii: "/")] + bytes
            return String(decoding: SourcePaths.normalize(absolute), as: UTF8.self)
        }
    }

    /// Whether the filter has no conditions.
    package var acceptsAll: Bool { hosts.isEmpty && tags.isEmpty && paths.isEmpty }

    /// Whether a snapshot passes every condition.
    package func accepts(_ manifest: SnapshotManifest) -> Bool {
        (hosts.isEmpty || hosts.contains(manifest.host))
            && (tags.isEmpty || manifest.tags.contains { tags.contains($0) })
            && paths.allSatisfy { manifest.paths.contains($0) }
    }

    /// The snapshots that pass, in the order given.
    package func apply(
        to snapshots: [(id: SnapshotID, manifest: SnapshotManifest)]
    ) -> [(id: SnapshotID, manifest: SnapshotManifest)] {
        acceptsAll ? snapshots : snapshots.filter { accepts($0.manifest) }
    }
}
