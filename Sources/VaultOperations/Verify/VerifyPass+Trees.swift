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
        var walker = SnapshotTreeWalker(keepsAffectedTrees: true)
        var visitor = TreeVisitor(pass: self)
        // The pass is lent to the visitor for the walk and taken back after it.
        defer { self = visitor.pass }
        _ = try await walker.walk(snapshots: snapshots.map { ($0.id, $0.manifest.tree) }, visitor: &visitor)
        visitor.pass.report.statistics.trees = walker.treesSeen
        visitor.pass.treeWalker = walker
    }

    /// Verify's side of the walk: loads trees from any good copy, checks
    /// that the chunks files name are there, and reports what is not.
    struct TreeVisitor: SnapshotTreeVisitor {
        var pass: VerifyPass

        mutating func loadTree(_ id: Digest256) async throws(RepositoryError) -> Tree? {
            try RepositoryLock.checkCancellation()
            return await pass.loadTree(id)
        }

        mutating func visit(_ node: TreeNode, in tree: Digest256) -> Bool {
            guard node.type == .file else { return false }
            var isLost = false
            for chunk in node.content where pass.lostBlob(.data(chunk)) != nil {
                isLost = true
            }
            return isLost
        }

        mutating func treeContainsItself(_ id: Digest256) {
            pass.lostTrees[id] = VerifyBlobLoss(blob: id, type: .tree, pack: pass.index.copies(of: .tree(id)).first?.pack, reason: "the tree contains itself")
            pass.report.findings.append(VerifyFinding(.treeDamaged, .blob(id, .tree, pack: nil), "damaged: the tree contains itself"))
        }

        mutating func finished(_ id: Digest256, isAffected: Bool, treesSeen: Int) {
            pass.progress(VerifyProgress(phase: .trees, completed: treesSeen, total: nil, bytesRead: pass.report.statistics.bytesRead))
        }
    }

    /// Why a blob is lost, or `nil`; reports a blob no index names the first time it is met.
    fileprivate mutating func lostBlob(_ key: BlobKey) -> VerifyBlobLoss? {
        guard let loss = damage.loss(of: key, in: index) else { return nil }
        if loss.pack == nil, reportedMissing.insert(key).inserted {
            report.findings.append(VerifyFinding(.blobMissing, .blob(key.id, key.type, pack: nil), loss.reason))
        }
        return loss
    }

    /// Loads a tree from the first of its copies that reads and decodes,
    /// recording bad copies; `nil` (and an entry in ``lostTrees``) when none does.
    fileprivate mutating func loadTree(_ id: Digest256) async -> Tree? {
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
                continue
            }
            let walker = treeWalker
            walker.forEachAffectedEntry(root: manifest.tree) { path, node, isLostDirectory in
                if isLostDirectory {
                    if let loss = lostTrees[node.subtree ?? .zero] {
                        report.affected.append(VerifyAffectedPath(snapshot: id, path: path, isDirectory: true, loss: loss))
                    }
                } else if node.type == .file {
                    let losses = node.content.compactMap { damage.loss(of: .data($0), in: index) }
                    if let first = losses.first {
                        report.affected.append(VerifyAffectedPath(snapshot: id, path: path, isDirectory: false, loss: first, otherLostChunks: losses.count - 1))
                    }
                }
            }
        }
    }
}
