/// What a blob in a pack holds.
///
/// The raw values are part of the on-disk formats (pack headers and index
/// files), so they must never change.
package enum BlobType: UInt8, Sendable {
    /// A chunk of file content.
    case data = 0
    /// A serialized directory tree.
    case tree = 1
}
