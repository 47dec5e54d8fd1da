/// The commands `verify` names when it finds something a command can fix.
enum VerifyRepairCommand {
    /// Rebuilds the index from the pack headers; indexes orphan packs.
    static let index = "vault repair index"
    /// Removes snapshot files that are damaged.
    static let forgetDamagedSnapshots = "vault repair snapshots --forget-damaged"
    /// Removes data no snapshot uses, and extra copies of blobs.
    static let prune = "vault prune"
}
