import Synchronization
import VaultRepository

/// An error of an operation (backup, restore, …) that is not the
/// repository's: bad arguments, unusable source or target paths.
package struct OperationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    package enum Code: Sendable, Hashable {
        /// An argument is invalid.
        case invalidArgument
        /// No source path could be read.
        case noSource
        /// The operation was interrupted (Ctrl-C, SIGTERM).
        case interrupted
        /// A snapshot ID matches no snapshot, or several.
        case snapshotNotFound
        /// A snapshot does not have the path asked for.
        case pathNotFound
        /// Writing to the target failed.
        case targetFailed
    }

    /// What kind of failure this is.
    package var code: Code
    /// One line describing the failure.
    package var message: String

    /// Creates an operation error.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}

/// A flag that Ctrl-C or SIGTERM raises; long operations check it and stop
/// at the next safe point.
package final class InterruptFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Creates a lowered flag.
    package init() {}

    /// Raises the flag.
    package func raise() {
        raised.store(true, ordering: .relaxed)
    }

    /// Whether the operation must stop: the flag is raised, or the current
    /// task was cancelled (``Repository/withLock(_:timing:_:)`` cancels the
    /// work when it loses the lock).
    package var isRaised: Bool { raised.load(ordering: .relaxed) || Task.isCancelled }

    /// Throws ``OperationError`` with code `.interrupted` if the operation must stop (``isRaised``).
    package func check() throws(OperationError) {
        if isRaised {
            throw OperationError(.interrupted, "interrupted")
        }
    }
}
