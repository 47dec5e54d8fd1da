import Testing
@testable import VaultChunker
