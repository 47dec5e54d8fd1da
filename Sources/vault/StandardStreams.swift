import VaultPOSIX

/// Standard input, output and error as the process found them.
enum StandardStreams {
    /// Whether standard input was closed when vault started (`vault backup --stdin <&-`).
    nonisolated(unsafe) private(set) static var inputWasClosed = false

    /// Notes which of descriptors 0–2 are closed and opens `/dev/null` in
    /// their place, so that no file vault opens later becomes "standard
    /// input" (a backup of `--stdin` would read it) or "standard output".
    /// Call first thing in `main`.
    static func secure() {
        inputWasClosed = FileDescriptor.reopenClosedStandardDescriptors()
    }
}
