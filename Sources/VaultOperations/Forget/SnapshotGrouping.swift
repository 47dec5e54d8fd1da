import VaultCodecs
import VaultRepository

/// How `vault forget` groups snapshots before applying the policy to each
/// group: by any combination of host, path set and tag set.
package struct SnapshotGrouping: Sendable, Hashable {
    package var byHost: Bool
    package var byPaths: Bool
    package var byTags: Bool

    /// The default, as restic's: by host and path set.
    package static let hostAndPaths = SnapshotGrouping(byHost: true, byPaths: true, byTags: false)

    package init(byHost: Bool, byPaths: Bool, byTags: Bool) {
        self.byHost = byHost
        self.byPaths = byPaths
        self.byTags = byTags
    }

    /// Parses `host,paths,tags` (any subset; an empty string puts every snapshot in one group).
    ///
    /// - Throws: ``OperationError`` with code `.invalidArgument` for an unknown word.
    package init(parsing text: String) throws(OperationError) {
        self.init(byHost: false, byPaths: false, byTags: false)
        for word in text.split(separator: ",") {
            switch word {
            case "host": byHost = true
            case "paths", "path": byPaths = true
            case "tags", "tag": byTags = true
            default:
                throw OperationError(.invalidArgument, "--group-by takes host, paths and tags separated by commas, not '\(word)'")
            }
        }
    }

    /// The group of a snapshot.
    package func key(of manifest: SnapshotManifest) -> SnapshotGroupKey {
        SnapshotGroupKey(
            host: byHost ? manifest.host : nil,
            paths: byPaths ? manifest.paths.sorted() : nil,
            tags: byTags ? Array(Set(manifest.tags)).sorted() : nil
        )
    }

    /// Splits snapshots into groups, ordered by their key's description.
    package func groups(
        of snapshots: [(id: SnapshotID, manifest: SnapshotManifest)]
    ) -> [(key: SnapshotGroupKey, snapshots: [(id: SnapshotID, manifest: SnapshotManifest)])] {
        var groups: [SnapshotGroupKey: [(id: SnapshotID, manifest: SnapshotManifest)]] = [:]
        for snapshot in snapshots {
            groups[key(of: snapshot.manifest), default: []].append(snapshot)
        }
        return groups.map { ($0.key, $0.value) }.sorted { $0.key.description < $1.key.description }
    }
}

/// What the snapshots of one group share; `nil` members are not grouped by.
package struct SnapshotGroupKey: Sendable, Hashable, CustomStringConvertible {
    package var host: String?
    package var paths: [String]?
    package var tags: [String]?

    /// A key; all `nil` is the one group of every snapshot.
    package init(host: String? = nil, paths: [String]? = nil, tags: [String]? = nil) {
        self.host = host
        self.paths = paths
        self.tags = tags
    }

    /// `host laptop, paths /home/ada, tags daily` (or `all snapshots`).
    package var description: String {
        var parts: [String] = []
        if let host { parts.append("host \(host)") }
        if let paths { parts.append("paths \(paths.joined(separator: ", "))") }
        if let tags { parts.append(tags.isEmpty ? "no tags" : "tags \(tags.joined(separator: ","))") }
        return parts.isEmpty ? "all snapshots" : parts.joined(separator: ", ")
    }
}
