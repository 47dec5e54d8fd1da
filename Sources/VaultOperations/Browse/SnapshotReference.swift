import VaultCodecs
import VaultRepository

/// A snapshot as the user names it: `latest`, `last-clean`, a full ID or a
/// unique prefix of one, optionally followed by `:PATH` inside the snapshot.
package struct SnapshotReference: Sendable, Hashable {
    /// Which snapshot.
    package enum Selector: Sendable, Hashable {
        /// The newest snapshot (optionally of a host and paths).
        case latest
        /// The newest clean snapshot: the newest one before the newest
        /// suspect snapshot that is not suspect itself (``CleanSnapshots``).
        case lastClean
        /// An ID or a prefix of one (lowercase hexadecimal).
        case prefix(String)
    }

    /// Which snapshot.
    package var selector: Selector
    /// The path inside the snapshot (absolute, normalized), or `nil` for all of it.
    package var path: [UInt8]?

    /// Parses `latest`, `ID`, `PREFIX`, each optionally followed by `:PATH`.
    ///
    /// - Throws: ``OperationError`` with code `.invalidArgument`.
    package init(parsing text: String) throws(OperationError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].lowercased()
        if name == "latest" {
            selector = .latest
        } else if name == "last-clean" {
            selector = .lastClean
        } else if !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isHexDigit }) {
            selector = .prefix(name)
        } else {
            throw OperationError(.invalidArgument, "invalid snapshot '\(parts[0])': give an ID, a prefix of one, 'latest' or 'last-clean'")
        }
        if parts.count == 2 {
            let path = Array(parts[1].utf8)
            self.path = SourcePaths.normalize(path.first == UInt8(ascii: "/") ? path : [UInt8(ascii: "/")] + path)
        }
    }

    /// Finds the snapshot among `snapshots` (oldest first).
    ///
    /// - Parameters:
    ///   - host: With `latest`, only snapshots of this host count.
    ///   - paths: With `latest`, only snapshots that include all these paths count.
    ///   - damaged: Snapshots whose file is damaged (``Repository/SnapshotCatalog/damaged``):
    ///     an ID or prefix that names one of them says so instead of "no snapshot".
    /// - Throws: ``OperationError`` with code `.snapshotNotFound` when none
    ///   or several match, or the one named is damaged.
    package func resolve(
        in snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], host: String? = nil, paths: [String] = [],
        damaged: [SnapshotID] = []
    ) throws(OperationError) -> (id: SnapshotID, manifest: SnapshotManifest) {
        switch selector {
        case .latest:
            let candidates = snapshots.filter { snapshot in
                (host == nil || snapshot.manifest.host == host) && paths.allSatisfy { snapshot.manifest.paths.contains($0) }
            }
            guard let latest = candidates.max(by: { $0.manifest.time < $1.manifest.time }) else {
                throw OperationError(.snapshotNotFound, "the repository has no snapshot\(host.map { " of host \($0)" } ?? "")")
            }
            return latest
        case .lastClean:
            let candidates = snapshots.filter { snapshot in
                (host == nil || snapshot.manifest.host == host) && paths.allSatisfy { snapshot.manifest.paths.contains($0) }
            }
            let clean = CleanSnapshots.newestClean(in: candidates)
            guard clean.count <= 1 else {
                let listed = clean.map { snapshot in
                    "\(snapshot.id.shortHex) (\(PrintablePath.escape(Array(snapshot.manifest.host.utf8))): "
                        + snapshot.manifest.paths.map { PrintablePath.escape(Array($0.utf8)) }.joined(separator: ", ") + ")"
                }
                throw OperationError(
                    .snapshotNotFound,
                    "last-clean is ambiguous: \(clean.count) host and path sets have a clean snapshot: \(listed.joined(separator: ", ")); give the ID"
                )
            }
            guard let only = clean.first else {
                let which = host.map { " of host \($0)" } ?? ""
                throw OperationError(
                    .snapshotNotFound,
                    candidates.isEmpty ? "the repository has no snapshot\(which)" : "the repository has no clean snapshot\(which): each one is suspect or follows a suspect one"
                )
            }
            return only
        case .prefix(let prefix):
            let matches = snapshots.filter { $0.id.hex.hasPrefix(prefix) }
            let damagedMatches = damaged.filter { $0.hex.hasPrefix(prefix) }
            if matches.isEmpty, damagedMatches.count == 1 {
                throw OperationError(
                    .snapshotNotFound,
                    "snapshot \(damagedMatches[0].shortHex) is damaged and cannot be read: 'vault snapshots' says why, 'vault repair snapshots --forget-damaged' removes it"
                )
            }
            guard matches.count == 1, damagedMatches.isEmpty else {
                if matches.count == 1 {
                    throw OperationError(
                        .snapshotNotFound,
                        "snapshot ID \(prefix) is ambiguous: it also matches \(damagedMatches.count) damaged snapshot\(damagedMatches.count == 1 ? "" : "s"); give more digits"
                    )
                }
                throw OperationError(
                    .snapshotNotFound,
                    matches.isEmpty
                        ? (damagedMatches.isEmpty ? "no snapshot \(prefix)" : "snapshot ID \(prefix) matches \(damagedMatches.count) damaged snapshots and no readable one")
                        : "snapshot ID \(prefix) is ambiguous: it matches \(matches.count + damagedMatches.count) snapshots; give more digits"
                )
            }
            return matches[0]
        }
    }
}

extension Repository {
    /// The tree node at `path` inside a snapshot's root tree: the root's own
    /// directory when `path` is `/`.
    ///
    /// - Returns: The node, or `nil` when the path is not in the snapshot.
    package func node(at path: [UInt8], root: Digest256, index: ChunkIndex) async throws(RepositoryError) -> TreeNode? {
        var node = TreeNode(name: Array("/".utf8), type: .directory)
        node.subtree = root
        for component in SourcePaths.components(of: path) {
            guard node.type == .directory, let subtree = node.subtree else { return nil }
            guard let child = try await loadTree(subtree, index: index).nodes.first(where: { $0.name == component }) else {
                return nil
            }
            node = child
        }
        return node
    }
}
