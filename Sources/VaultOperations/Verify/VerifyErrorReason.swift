import VaultRepository

extension RepositoryError {
    /// What is wrong, without the name of the object that the message
    /// starts with: `AES-256-GCM tag mismatch: …` for `blob 9c1e44f0 is
    /// damaged or forged: AES-256-GCM tag mismatch: …`.
    ///
    /// Findings name the object themselves; the repository layer's messages
    /// read `NAME is damaged: REASON` or `NAME is damaged or forged: REASON`.
    var verifyReason: String {
        for separator in [" is damaged or forged: ", " is damaged: "] {
            if let range = message.range(of: separator) {
                return String(message[range.upperBound...])
            }
        }
        return message
    }

    /// `damaged: REASON` for damage, `cannot be read: MESSAGE` for storage failures.
    var verifyProblem: String {
        code == .damaged ? "damaged: \(verifyReason)" : "cannot be read: \(verifyReason)"
    }
}
