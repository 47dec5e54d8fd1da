import Foundation
import VaultFuzzTargets

#if FUZZING
import CLibFuzzer

/// The target the fuzzer drives, chosen before it starts.
nonisolated(unsafe) private var selectedTarget: FuzzTarget = .tree

/// libFuzzer's entry point (`-sanitize=fuzzer` links it whole, and its own `main` refers to it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif

/// Built with `-sanitize=fuzzer,address -DFUZZING` (`scripts/fuzz`): runs
/// libFuzzer on the target `VAULT_FUZZ_TARGET` names, with libFuzzer's
/// options and corpus folders as arguments.
///
/// Built plainly: replays files through a target, to reproduce a finding
/// under a debugger. `vault-fuzz TARGET FILE...`
@main
struct FuzzEntry {
    static func main() {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        #if FUZZING
        guard let name = ProcessInfo.processInfo.environment["VAULT_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("vault-fuzz: set VAULT_FUZZ_TARGET to one of \(names)\n".utf8))
            exit(64)
        }
        selectedTarget = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
        #else
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: vault-fuzz \(names) FILE...\n".utf8))
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("vault-fuzz: cannot read \(path)\n".utf8))
                exit(1)
            }
            target.run([UInt8](data))
            print("\(path): ok")
        }
        #endif
    }
}
