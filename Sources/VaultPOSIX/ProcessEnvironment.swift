import Glibc

/// The process's environment variables.
package enum ProcessEnvironment {
    /// Every variable, as `NAME=VALUE` pairs split at the first `=`; a name
    /// given twice keeps its first value, as `getenv` does.
    package static var current: [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil {
                    result[name] = String(text[text.index(after: equals)...])
                }
            }
            entry += 1
        }
        return result
    }
}
