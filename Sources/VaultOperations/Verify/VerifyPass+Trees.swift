import VaultCodecs
import VaultRepository
import VaultStorage

extension VerifyPass {
    /// Loads every snapshot and walks its trees, each distinct tree once,
    /// checking that every blob they name can be read.
    mutating func checkSnapshots() async throws(RepositoryError) {
        var loaded: [(id: SnapshotID, manifest: SnapshotManifest)] = []
        for info in try await repository.list(.snapshots) {
            guard let id = SnapshotID(hex: info.name.name) else { continue }
            do {
                loaded.append((id, try await repository.loadSnapshot(id)))
            } catch {
                report.findings.append(VerifyFinding(.snapshotDamaged, .snapshot(id), "\(error.verifyProblem); its files cannot be listed: '\(VerifyRepairCommand.forgetDamagedSnapshots)' removes it"))
                report.unreadableSnapshots.append(id)
            }
        }
        snapshots = loaded.sorted { ($0.manifest.time, $0.id) < ($1.manifest.time, $1.id) }
        report.statistics.snapshots = snapshots.count
        for snapshot in snapshots {
            _ = try await visitTree(snapshot.manifest.tree)
        }
        report.statistics.trees = treeStates.count
    }

    /// Walks a tree and everything below it, unless it was walked before.
    ///
    /// - Returns: Whether something below the tree (or the tree itself) is lost.
    private mutating func visitTree(_ id: Digest256) async throws(RepositoryError) -> Bool {
        switch treeStates[id] {
        case .intact: return false
        case .affected: return true
        case .visiting:
            // Only a forged repository can do this: a tree cannot contain its own hash.
            lostTrees[id] = VerifyBlobLoss(blob: id, type: .tree, pack: index.copies(of: .tree(id)).first?.pack, reason: "the tree contains itself")
            report.findings.append(VerifyFinding(.treeDamaged, .blob(id, .tree, pack: nil), "damaged: the tree contains itself"))
            return true
        case nil:
            break
        }
        treeStates[id] = .visiting
        try RepositoryLock.checkCancellation()
        guard let tree = await loadTree(id) else {
            treeStates[id] = .affected
            return true
        }
        var isAffected = false
        for node in tree.nodes {
            switch node.type {
            case .file:
                for chunk in node.content {
                    if lostBlob(.data(chunk)) != nil {
                        isAffected = true
                    }
                }
            case .directory:
                if try await visitTree(node.subtree ?? .zero) {
                    isAffected = true
                }
            default:
                break
            }
        }
        treeStates[id] = isAffected ? .affected : .intact
        if isAffected, lostTrees[id] == nil {
            affectedTrees[id] = tree
        }
        progress(VerifyProgress(phase: .trees, completed: treeStates.count, total: nil, bytesRead: report.statistics.bytesRead))
        return isAffected
    }

    /// Why a blob is lost, or `nil`; reports a blob no index names the first time it is met.
    private mutating func lostBlob(_ key: BlobKey) -> VerifyBlobLoss? {
        guard let loss = damage.loss(of: key, in: index) else { return nil }
        if loss.pack == nil, reportedMissing.insert(key).inserted {
            report.findings.append(VerifyFinding(.blobMissing, .blob(key.id, key.type, pack: nil), loss.reason))
        }
        return loss
    }

    /// Loads a tree from the first of its copies that reads and decodes,
    /// recording bad copies; `nil` (and an entry in ``lostTrees``) when none does.
    private mutating func loadTree(_ id: Digest256) async -> Tree? {
        if let loss = lostBlob(.tree(id)) {
            lostTrees[id] = loss
            return nil
        }
        for location in index.copies(of: .tree(id)) where !damage.isBad(.tree(id), in: location.pack) {
            let object = VerifiedObject.blob(id, .tree, pack: location.pack)
            let bytes: [UInt8]
            do {
                bytes = try await repository.loadBlob(id, at: location)
            } catch {
                report.findings.append(VerifyFinding(.blobDamaged, object, error.verifyProblem))
                damage.record(VerifyBlobLoss(blob: id, type: .tree, pack: location.pack, reason: error.verifyReason))
                continue
            }
            do {
                return try Tree(decoding: bytes, what: "tree \(id.shortHex)")
            } catch {
                report.findings.append(VerifyFinding(.treeDamaged, object, error.verifyProblem))
                damage.record(VerifyBlobLoss(blob: id, type: .tree, pack: location.pack, reason: error.verifyReason))
            }
        }
        lostTrees[id] = damage.loss(of: .tree(id), in: index)
        return nil
    }

    // MARK: Tracing losses to paths

    /// Lists, for every snapshot, the files and directories below which something is lost.
    mutating func traceAffectedPaths() {
        for (id, manifest) in snapshots {
            if let loss = lostTrees[manifest.tree] {
                for path in manifest.paths.isEmpty ? ["/"] : manifest.paths {
                    report.affected.append(VerifyAffectedPath(snapshot: id, path: path, isDirectory: true, loss: loss))
                }
            } else if let tree = affectedTrees[manifest.tree] {
                trace(tree, snapshot: id, parentPath: nil, rootPaths: manifest.paths)
            }
        }
    }

    private mutating func trace(_ tree: Tree, snapshot: SnapshotID, parentPath: String?, rootPaths: [String]) {
        for node in tree.nodes {
            let path = parentPath.map { Self.join($0, node.displayName) } ?? Self.rootPath(of: node.displayName, paths: rootPaths)
            switch node.type {
            case .file:
                let losses = node.content.compactMap { damage.loss(of: .data($0), in: index) }
                if let first = losses.first {
                    report.affected.append(VerifyAffectedPath(snapshot: snapshot, path: path, isDirectory: false, loss: first, otherLostChunks: losses.count - 1))
                }
            case .directory:
                let subtree = node.subtree ?? .zero
                if let loss = lostTrees[subtree] {
                    report.affected.append(VerifyAffectedPath(snapshot: snapshot, path: path, isDirectory: true, loss: loss))
                } else if let tree = affectedTrees[subtree] {
                    trace(tree, snapshot: snapshot, parentPath: path, rootPaths: rootPaths)
                }
            default:
                break
            }
        }
    }

    /// The path a root tree entry stands for: the root tree mirrors the
    /// file system from `/` (docs/format.md, "Snapshots").
    static func rootPath(of name: String, paths: [String]) -> String {
        "/" + name
    }

    private static func join(_ parent: String, _ name: String) -> String {
        parent.hasSuffix("/") ? parent + name : parent + "/" + name
    }
}
