import Testing
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// What a restore holds per file and per chunk stays small and stated
/// (issue 18, part 4; docs/architecture.md, "Restore memory bound").
@Suite("restore: memory per file")
struct RestorePlanMemoryTests {
    @Test("a file's record in the plan takes at most 128 bytes beside its name, chunk IDs and attributes")
    func fileRecord() {
        let stride = MemoryLayout<RestorePlan.File>.stride
        #expect(stride <= 128, "\(stride) bytes")
        // The node it replaces was larger: keeping it would cost more per file.
        #expect(stride < MemoryLayout<TreeNode>.stride + 64)
    }
}
