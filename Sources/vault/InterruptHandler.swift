import Dispatch
import VaultOperations
import VaultPOSIX

/// Turns the first Ctrl-C or SIGTERM into a raised ``InterruptFlag``, so the
/// operation stops at a safe point; a second one ends the process at once
/// (the repository stays consistent: every object is written atomically).
enum InterruptHandler {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers and returns the flag they raise.
    static func install() -> InterruptFlag {
        let flag = InterruptFlag()
        for signal in ProcessSignal.allCases {
            signal.ignoreDefaultAction()
            let source = DispatchSource.makeSignalSource(signal: signal.number, queue: .global())
            source.setEventHandler {
                if flag.isRaised {
                    exitProcess(ExitStatus.interrupted.rawValue)
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
