import Foundation
import Testing
import VaultPOSIX
@testable import VaultOperations

/// `--include` and `--exclude`.
@Suite("restore: include and exclude")
struct RestoreSelectionTests {
    /// Backs up a small project tree; returns the fixture and the source path.
    static func project() async throws -> (RestoreFixture, String) {
        let fixture = try await RestoreFixture(encrypted: false)
        let source = fixture.scratch.appending("project")
        for directory in ["", "/docs", "/docs/sub", "/src", "/src/build"] {
            try TestFiles.makeDirectory(TestFiles.bytes(source + directory))
        }
        for file in ["top.txt", "docs/a.txt", "docs/b.md", "docs/sub/c.txt", "src/main.swift", "src/build/out.o"] {
            try TestFiles.write(TestFiles.join(source, file), Array(file.utf8))
        }
        try TestFiles.setTime(TestFiles.join(source, "docs"), seconds: 1_111_111_111, nanoseconds: 0)
        try await fixture.backup([source])
        return (fixture, source)
    }

    /// The files (not directories) restored under `target`.
    static func files(in target: String) throws -> [String] {
        try TestFiles.walk(TestFiles.bytes(target))
            .filter { try TestFiles.status(TestFiles.join(TestFiles.bytes(target), $0)).type == .regular }
            .map { String(decoding: $0, as: UTF8.self) }
            .sorted()
    }

    @Test("include patterns select matching entries, what is below them, and the directories that lead to them")
    func includes() async throws {
        let (fixture, source) = try await Self.project()
        let byName = fixture.scratch.appending("by-name")
        let result = try await fixture.restore("latest:\(source)", into: byName) { try $0.selection.include("*.txt") }
        #expect(result.problems == [])
        #expect(try Self.files(in: byName) == ["docs/a.txt", "docs/sub/c.txt", "top.txt"])
        #expect(!TestFiles.exists(TestFiles.join(byName, "src")))
        // A directory restored on the way to a match gets its own metadata.
        #expect(try TestFiles.status(TestFiles.join(byName, "docs")).modificationTime == FileTime(seconds: 1_111_111_111, nanoseconds: 0))

        let byPath = fixture.scratch.appending("by-path")
        _ = try await fixture.restore("latest:\(source)", into: byPath) { try $0.selection.include("\(source)/src") }
        #expect(try Self.files(in: byPath) == ["src/build/out.o", "src/main.swift"])
    }

    @Test("exclude patterns leave out entries and what is below them, also within includes")
    func excludes() async throws {
        let (fixture, source) = try await Self.project()
        let target = fixture.scratch.appending("target")
        _ = try await fixture.restore("latest:\(source)", into: target) {
            try $0.selection.exclude("build")
            try $0.selection.exclude("\(source)/docs/sub")
        }
        #expect(try Self.files(in: target) == ["docs/a.txt", "docs/b.md", "src/main.swift", "top.txt"])

        let both = fixture.scratch.appending("both")
        _ = try await fixture.restore("latest:\(source)", into: both) {
            try $0.selection.include("docs")
            try $0.selection.exclude("*.md")
        }
        #expect(try Self.files(in: both) == ["docs/a.txt", "docs/sub/c.txt"])
    }

    @Test("an include that matches nothing restores nothing, and an empty pattern is refused")
    func nothing() async throws {
        let (fixture, source) = try await Self.project()
        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore("latest:\(source)", into: target) { try $0.selection.include("*.nothing") }
        #expect(result.problems == [])
        #expect(try TestFiles.walk(TestFiles.bytes(target)).isEmpty)
        var selection = RestoreSelection()
        #expect(throws: OperationError.self) { try selection.include("") }
        #expect(throws: OperationError.self) { try selection.exclude("") }
    }
}
