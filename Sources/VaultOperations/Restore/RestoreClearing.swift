import VaultPOSIX

/// The first step of carrying out a restore plan: removes the entries of
/// the target the plan says must go (``RestorePlan/removals``), before
/// anything is written. Symbolic links are removed, never followed.
struct RestoreClearing {
    let cache: RestoreDirectoryCache
    let report: RestoreReport

    /// Removes the entries; a failure is reported and the rest goes on.
    func remove(_ removals: [RestorePlan.Removal]) {
        for removal in removals {
            cache.trim()
            do throws(SystemError) {
                let directory = try cache.descriptor(of: removal.directory)
                let removed = try RestoreTarget.removeEntry(removal.name, in: directory, isDirectory: removal.isDirectory)
                if removal.reason == .extraneous {
                    report.summary.entriesDeleted += removed
                }
            } catch {
                let path = cache.displayPath(removal.directory, removal.name)
                switch removal.reason {
                case .inTheWay: report.problem(path, "cannot remove the entry in the way: \(error.code)")
                case .extraneous, .leftover: report.problem(path, "cannot remove: \(error.code)")
                }
            }
        }
    }
}
