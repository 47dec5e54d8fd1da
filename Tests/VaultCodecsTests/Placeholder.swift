import Testing
@testable import VaultCodecs
