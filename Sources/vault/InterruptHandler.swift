import Dispatch
import VaultOperations
#if canImport(Glibc)
import Glibc
#endif

/// Turns the first Ctrl-C or SIGTERM into a raised ``InterruptFlag``, so the
/// operation stops at a safe point; a second one ends the process at once
/// (the repository stays consistent: every object is written atomically).
enum InterruptHandler {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers and returns the flag they raise.
    static func install() -> InterruptFlag {
        let flag = InterruptFlag()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if flag.isRaised {
                    exit(ExitStatus.interrupted.rawValue)
                }
                flag.raise()
                StandardError.line("vault: interrupted; stopping at a safe point (press Ctrl-C again to stop at once)")
            }
            source.resume()
            sources.append(source)
        }
        return flag
    }
}
