import Testing
@testable import VaultOperations
