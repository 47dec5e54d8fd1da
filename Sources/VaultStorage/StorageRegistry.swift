/// The storage backends, keyed by the scheme that starts a location:
/// `local:PATH` (or a plain path) and, where registered, `s3:URL`.
///
/// Text before the first `:` is a scheme only when a backend is registered
/// for it; anything else is a path for the default backend, so a folder
/// named `photos:2024` stays a folder.
package struct StorageRegistry: Sendable {
    private var backends: [String: any StorageBackend] = [:]
    /// The backend for locations without a scheme.
    package let defaultBackend: any StorageBackend

    /// Creates a registry with a default backend (registered under its own
    /// scheme too).
    package init(default backend: any StorageBackend) {
        defaultBackend = backend
        backends[backend.scheme] = backend
    }

    /// Adds a backend; a later one with the same scheme replaces the earlier.
    package mutating func register(_ backend: any StorageBackend) {
        backends[backend.scheme] = backend
    }

    /// The registered schemes, sorted.
    package var schemes: [String] { backends.keys.sorted() }

    /// The backend for a location and the address it gets.
    package func resolve(_ location: String) -> (backend: any StorageBackend, address: String) {
        if let colon = location.firstIndex(of: ":") {
            let scheme = String(location[..<colon])
            if let backend = backends[scheme] {
                return (backend, String(location[location.index(after: colon)...]))
            }
        }
        return (defaultBackend, location)
    }
}
