/// vault's version: what `vault --version` prints and what snapshots record
/// as their program (`vault 0.1.0`). The one place it is written.
package enum VaultVersion {
    /// The version number.
    package static let number = "0.1.0"
    /// The program name and version, as snapshots record it.
    package static let program = "vault \(number)"
}
