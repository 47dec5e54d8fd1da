import Testing
import VaultRepository
@testable import VaultOperations

/// How listings print names, modes, times and entries.
@Suite("Browse: formatting")
struct BrowseFormatTests {
    @Test("printable paths keep valid UTF-8 and escape everything else on one line", arguments: [
        (Array("plain/name.txt".utf8), "plain/name.txt"),
        (Array("café ☕️".utf8), "café ☕️"),
        ([0x62, 0xFF, 0x63], #"b\xffc"#),
        (Array("a\\b".utf8), #"a\\b"#),
        (Array("tab\there\nnew\rline".utf8), #"tab\there\nnew\rline"#),
        ([0x1B, 0x7F], #"\x1b\x7f"#),
        ([0xC0, 0x80], #"\xc0\x80"#),  // overlong NUL
        ([0xE2, 0x82], #"\xe2\x82"#),  // truncated sequence
        ([0xED, 0xA0, 0x80], #"\xed\xa0\x80"#),  // surrogate
        ([0xF4, 0x90, 0x80, 0x80], #"\xf4\x90\x80\x80"#),  // above U+10FFFF
        ([0xE2, 0x82, 0xAC, 0xFF], #"€\xff"#),
    ])
    func escaping(bytes: [UInt8], expected: String) {
        let printed = PrintablePath.escape(bytes)
        #expect(printed == expected)
        #expect(!printed.contains("\n"))
    }

    @Test("exact strings only for valid UTF-8")
    func exactStrings() {
        #expect(PrintablePath.exactString(Array("ok\n".utf8)) == "ok\n")
        #expect(PrintablePath.exactString([0x61, 0xFF]) == nil)
    }

    @Test("paths join without doubling the root's slash")
    func joining() {
        #expect(PrintablePath.join(Array("/".utf8), Array("a".utf8)) == Array("/a".utf8))
        #expect(PrintablePath.join(Array("/a".utf8), Array("b".utf8)) == Array("/a/b".utf8))
    }

    @Test("mode strings as ls -l prints them", arguments: [
        (NodeType.directory, UInt32(0o755), "drwxr-xr-x"),
        (.file, 0o644, "-rw-r--r--"),
        (.file, 0o4755, "-rwsr-xr-x"),
        (.file, 0o2644, "-rw-r-Sr--"),
        (.directory, 0o1777, "drwxrwxrwt"),
        (.directory, 0o1770, "drwxrwx--T"),
        (.symlink, 0o777, "lrwxrwxrwx"),
        (.fifo, 0o600, "prw-------"),
        (.socket, 0o755, "srwxr-xr-x"),
        (.characterDevice, 0o666, "crw-rw-rw-"),
        (.blockDevice, 0o660, "brw-rw----"),
    ])
    func modeStrings(type: NodeType, mode: UInt32, expected: String) {
        var node = TreeNode(name: Array("x".utf8), type: type)
        node.mode = mode
        #expect(node.modeString == expected)
    }

    @Test("times to the second, in UTC or local time")
    func times() {
        let time = Timestamp(nanoseconds: 1_700_000_000_999_999_999)
        #expect(DisplayTime.format(time, in: .utc) == "2023-11-14 22:13:20")
        #expect(DisplayTime.format(Timestamp(nanoseconds: 0), in: .utc) == "1970-01-01 00:00:00")
        #expect(DisplayTime.format(time, in: .local).count == 19)
    }

    @Test("long lines: mode, owner, group, size, time, path and symlink target")
    func longLines() {
        var file = TreeNode(name: Array("notes.txt".utf8), type: .file)
        file.mode = 0o640
        file.user = "ada"
        file.group = "staff"
        file.size = 1234
        file.mtime = Timestamp(nanoseconds: 1_700_000_000_000_000_000)
        let fileEntry = SnapshotEntry(path: Array("/home/ada/notes.txt".utf8), node: file)
        #expect(fileEntry.longLine(in: .utc) == "-rw-r-----  ada       staff             1234  2023-11-14 22:13:20  /home/ada/notes.txt")

        var link = TreeNode(name: [0x6C, 0xFF], type: .symlink)
        link.mode = 0o777
        link.uid = 1001
        link.gid = 50
        link.linkTarget = Array("target\nwith newline".utf8)
        let linkEntry = SnapshotEntry(path: [0x2F, 0x6C, 0xFF], node: link)
        #expect(linkEntry.longLine(in: .utc) == #"lrwxrwxrwx  1001      50                   0  1970-01-01 00:00:00  /l\xff -> target\nwith newline"#)
    }

    @Test("globs: names without '/', whole paths with it, leading dots explicit")
    func globs() throws {
        let name = try GlobPattern("*.txt")
        #expect(!name.matchesPaths)
        #expect(name.matches(name: Array("a.txt".utf8), path: Array("/x/a.txt".utf8)))
        #expect(!name.matches(name: Array("a.txt.gz".utf8), path: Array("/x/a.txt.gz".utf8)))
        #expect(!name.matches(name: Array(".txt".utf8), path: Array("/x/.txt".utf8)))
        #expect(try GlobPattern(".*").matches(name: Array(".bashrc".utf8), path: Array("/h/.bashrc".utf8)))

        let path = try GlobPattern("/home/*/notes.txt")
        #expect(path.matchesPaths)
        #expect(path.matches(name: Array("notes.txt".utf8), path: Array("/home/ada/notes.txt".utf8)))
        #expect(path.matches(name: Array("notes.txt".utf8), path: Array("/home/ada/old/notes.txt".utf8)))
        #expect(!path.matches(name: Array("notes.txt".utf8), path: Array("/srv/ada/notes.txt".utf8)))

        let brackets = try GlobPattern("file[0-9]")
        #expect(brackets.matches(name: Array("file7".utf8), path: []))
        #expect(!brackets.matches(name: Array("fileX".utf8), path: []))

        #expect(!(try GlobPattern("README")).matches(name: Array("readme".utf8), path: []))
        #expect(try GlobPattern("README", ignoresCase: true).matches(name: Array("readme".utf8), path: []))
        #expect(try GlobPattern("build/").matches(name: Array("build".utf8), path: []))
        #expect(throws: OperationError.self) { try GlobPattern("") }
    }
}
