import VaultPOSIX

/// The absolute, normalized source paths of a backup, and the directory
/// hierarchy that leads to them from `/`.
///
/// A snapshot's root tree mirrors the file system from `/` down, holding
/// only the directories on the way to each source path, so that two
/// sources with the same name (`/home/ada` and `/srv/ada`) cannot collide
/// and every file keeps its absolute path.
struct SourcePaths {
    /// One level of the hierarchy.
    final class Node {
        /// Children by name, for directories on the way to a source path.
        var children: [[UInt8]: Node] = [:]
        /// Whether this path is itself a source: everything below it is backed up.
        var isSource = false
    }

    /// The normalized paths, sorted, without any that lie inside another.
    let paths: [[UInt8]]
    /// The hierarchy; the root stands for `/`.
    let root = Node()

    /// Normalizes `paths`: relative ones are taken from `workingDirectory`,
    /// `.` and `..` components are resolved textually, and paths inside
    /// another source are dropped.
    init(_ paths: [String], workingDirectory: [UInt8]) {
        var normalized = Set<[UInt8]>()
        for path in paths {
            let bytes = Array(path.utf8)
            let absolute = bytes.first == UInt8(ascii: "/") ? bytes : workingDirectory + [UInt8(ascii: "/")] + bytes
            normalized.insert(Self.normalize(absolute))
        }
        let sorted = normalized.sorted { $0.lexicographicallyPrecedes($1) }
        var kept: [[UInt8]] = []
        for path in sorted {
            let insideAnother = kept.contains { source in
                source == [UInt8(ascii: "/")] || (path.starts(with: source) && path.count > source.count && path[source.count] == UInt8(ascii: "/"))
            }
            if !insideAnother { kept.append(path) }
        }
        self.paths = kept
        for path in kept {
            var node = root
            for component in Self.components(of: path) {
                if let child = node.children[component] {
                    node = child
                } else {
                    let child = Node()
                    node.children[component] = child
                    node = child
                }
            }
            node.isSource = true
        }
    }

    /// The components of an absolute path.
    static func components(of path: [UInt8]) -> [[UInt8]] {
        path.split(separator: UInt8(ascii: "/")).map(Array.init)
    }

    /// Resolves `.`, `..` and repeated slashes in an absolute path.
    static func normalize(_ path: [UInt8]) -> [UInt8] {
        var parts: [[UInt8]] = []
        for component in components(of: path) {
            if component == [UInt8(ascii: ".")] { continue }
            if component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                _ = parts.popLast()
                continue
            }
            parts.append(component)
        }
        return [UInt8(ascii: "/")] + Array(parts.joined(separator: [UInt8(ascii: "/")]))
    }

    /// The paths as strings, for the snapshot manifest.
    var strings: [String] {
        paths.map { String(decoding: $0, as: UTF8.self) }
    }
}
