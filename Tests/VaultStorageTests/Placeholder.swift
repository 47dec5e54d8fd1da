import Testing
@testable import VaultStorage
