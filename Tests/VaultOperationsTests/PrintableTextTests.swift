import Testing
import VaultOperations
import VaultRepository

/// Text from a repository is printed without control characters.
@Suite("printable text")
struct PrintableTextTests {
    @Test("C1 controls (U+009B is CSI to many terminals) are escaped byte by byte; other UTF-8 stays")
    func c1Controls() {
        #expect(PrintablePath.escape(Array("a\u{9B}31mb".utf8)) == #"a\xc2\x9b31mb"#)
        #expect(PrintablePath.escape(Array("é\u{A0}ü".utf8)) == "é\u{A0}ü")
        #expect(PrintablePath.escape([0xC2]) == #"\xc2"#)
    }

    @Test("terminalSafe escapes C0, DEL and C1 controls in a whole line and keeps backslashes")
    func terminalSafe() {
        #expect(PrintablePath.terminalSafe("plain \\x1b text") == "plain \\x1b text")
        #expect(PrintablePath.terminalSafe("a\u{1B}[2Jb\nc\td\u{7F}e\u{9B}f") == #"a\x1b[2Jb\nc\td\x7fe\xc2\x9bf"#)
    }

    @Test("ls --long escapes the user and group names a snapshot records")
    func longLineOwners() {
        var file = TreeNode(name: Array("f".utf8), type: .file)
        file.mode = 0o600
        file.user = "ada\u{1B}[2J"
        file.group = "g\nx"
        let line = SnapshotEntry(path: Array("/f".utf8), node: file).longLine(in: .utc)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
        #expect(line.contains(#"ada\x1b[2J"#))
        #expect(line.contains(#"g\nx"#))
    }
}
