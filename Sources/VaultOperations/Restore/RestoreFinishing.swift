import VaultPOSIX
import VaultRepository

/// The last steps of a restore, once the files are written: the further
/// names of hard-linked files, then the directories' metadata, deepest
/// first (creating entries changes a directory's modification time, and a
/// read-only directory would refuse them).
struct RestoreFinishing {
    let cache: RestoreDirectoryCache
    var names: RestoreTemporaryNames
    let report: RestoreReport
    let metadata: RestoreMetadata
    let overwrite: OverwritePolicy

    /// Makes the hard links: in a directory the restore created, under the
    /// new name itself; elsewhere under a temporary name, renamed into place.
    ///
    /// - Parameters:
    ///   - links: The links to make.
    ///   - file: The written file of a plan index, for the links' leaders.
    mutating func makeLinks(_ links: [RestorePlan.Link], file: (Int) -> RestorePlan.File) {
        for link in links {
            cache.trim()
            let path = cache.displayPath(link.directory, link.name)
            let leaderDirectory: Int
            let leaderName: [UInt8]
            switch link.leader {
            case .written(let index):
                let leader = file(index)
                guard leader.state == .done else {
                    report.problem(path, "not linked: the file it is a hard link of, \(cache.displayPath(leader.directory, leader.name)), was not restored")
                    continue
                }
                leaderDirectory = leader.directory
                leaderName = leader.name
            case .existing(let directory, let name):
                leaderDirectory = directory
                leaderName = name
            }
            do throws(SystemError) {
                let source = try cache.descriptor(of: leaderDirectory)
                let directory = try cache.descriptor(of: link.directory)
                if overwrite == .ifChanged, let existing = try RestoreTarget.status(of: link.name, in: directory),
                   let leader = try RestoreTarget.status(of: leaderName, in: source),
                   existing.device == leader.device, existing.inode == leader.inode {
                    report.summary.filesUnchanged += 1
                    continue
                }
                let leaderPath = FilePath(bytes: leaderName)
                let name = FilePath(bytes: link.name)
                if cache.directories.entries[link.directory].isNew {
                    do {
                        try FileSystem.makeHardLink(leaderPath, relativeTo: source, at: name, relativeTo: directory)
                        report.summary.hardLinks += 1
                        continue
                    } catch where error.code == .fileExists {
                        // Someone put something there meanwhile: replace it safely.
                    }
                }
                var temporary = names.next()
                while true {
                    do {
                        try FileSystem.makeHardLink(leaderPath, relativeTo: source, at: temporary, relativeTo: directory)
                        break
                    } catch where error.code == .fileExists {
                        temporary = names.next()
                    }
                }
                do {
                    try RestoreTarget.moveIntoPlace(temporary, as: link.name, in: directory)
                } catch {
                    try? FileSystem.removeFile(temporary, relativeTo: directory)
                    throw error
                }
                report.summary.hardLinks += 1
            } catch {
                report.problem(path, "cannot make the hard link: \(error.operation): \(error.code)")
            }
        }
    }

    /// Sets the times of symbolic links found already in place back to the
    /// snapshot's: reading a link to compare it changed its access time.
    func resetTimes(of links: [RestorePlan.UnchangedFile]) {
        for link in links {
            cache.trim()
            let time = RestoreMetadata.fileTime(link.node.mtime)
            if let directory = try? cache.descriptor(of: link.directory) {
                try? FileSystem.setTimes(of: FilePath(bytes: link.name), access: time, modification: time, relativeTo: directory)
            }
        }
    }

    /// Sets the metadata of the directories, the deepest first.
    func finishDirectories(_ directories: [(index: Int, node: TreeNode)]) {
        for (index, node) in directories.reversed() {
            cache.trim()
            do {
                let descriptor = try cache.descriptor(of: index)
                let failures = metadata.apply(node, to: descriptor)
                if !failures.isEmpty {
                    report.problem(cache.displayPath(index), "metadata not restored: \(RestoreMetadata.describe(failures))")
                }
            } catch {
                report.problem(cache.displayPath(index), "cannot open the directory to set its metadata: \(error.code)")
            }
        }
    }
}
