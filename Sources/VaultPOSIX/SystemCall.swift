import Glibc

/// What a system call returned: its value, or the error number it failed with.
enum SystemCallResult<Value> {
    /// The call succeeded.
    case success(Value)
    /// The call failed with this error number.
    case failure(Errno)
}

/// Calls a system call until a signal no longer interrupts it.
///
/// - Parameter call: Performs the call, returning -1 (or another negative
///   value) and setting `errno` on failure.
/// - Returns: The call's result, or the error number it failed with; read
///   at once, before anything else can change `errno`.
func retryingInterrupts<Value: BinaryInteger>(_ call: () -> Value) -> SystemCallResult<Value> {
    while true {
        let value = call()
        if value >= 0 { return .success(value) }
        let code = Errno.current
        if code != .interrupted { return .failure(code) }
    }
}

/// Makes a system call on a path, retrying interrupted calls.
///
/// - Parameters:
///   - operation: The call's name, for the error.
///   - path: The path to pass.
///   - call: Performs the call with the path as a C string.
/// - Returns: The call's result.
/// - Throws: ``SystemError``; `EINVAL` when the path contains a NUL byte.
func pathCall<Value: BinaryInteger>(
    _ operation: String, _ path: FilePath, _ call: (UnsafePointer<CChar>) -> Value
) throws(SystemError) -> Value {
    guard let result = path.withCString({ cPath in retryingInterrupts { call(cPath) } }) else {
        throw SystemError(.invalidArgument, operation: operation, path: path)
    }
    switch result {
    case .success(let value): return value
    case .failure(let code): throw SystemError(code, operation: operation, path: path)
    }
}
