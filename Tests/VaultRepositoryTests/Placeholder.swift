import Testing
@testable import VaultRepository
