#if canImport(Glibc)
import Glibc
#endif

/// The base-2 logarithm of the C library's `libm` (the standard library has
/// no elementary functions).
///
/// - Parameter value: A positive number.
/// - Returns: log₂(`value`).
@inline(__always)
package func binaryLogarithm(_ value: Double) -> Double {
    log2(value)
}
