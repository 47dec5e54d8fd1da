import Foundation
import Testing
import VaultFuzzTargets

/// Replays every input under `Fixtures/fuzz/<target>/` through its parser:
/// the seeds the fuzzers start from, and every input that once crashed one
/// (docs/reliability.md, "Fuzzing"). A regression crashes this test.
@Suite("Fuzz fixtures")
struct FuzzFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    @Test("every fixture goes through its parser without a crash", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let folder = Self.fixtures.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!names.isEmpty, "no fixtures for \(target.rawValue)")
        for name in names {
            target.run([UInt8](try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    @Test("every fixture folder names a target")
    func foldersAreTargets() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
        #expect(Set(folders) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }
}
