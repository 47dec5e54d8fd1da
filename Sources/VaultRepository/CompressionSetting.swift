/// The compression writers use for new blobs, as set at `init`.
package enum CompressionSetting: Sendable, Hashable, CustomStringConvertible {
    /// Store blobs raw.
    case none
    /// zlib at a level from 1 (fastest) to 9 (smallest).
    case zlib(level: Int)

    /// The default: zlib at the level measured to keep up with restic (docs/benchmarks.md).
    package static let `default` = CompressionSetting.zlib(level: 2)

    /// Parses `none`, `zlib` or `zlib:LEVEL`.
    ///
    /// - Throws: ``RepositoryError`` with code `.invalidRequest`.
    package init(parsing text: String) throws(RepositoryError) {
        if text == "none" {
            self = .none
            return
        }
        if text == "zlib" {
            self = .default
            return
        }
        if text.hasPrefix("zlib:"), let level = Int(text.dropFirst(5)), (1...9).contains(level) {
            self = .zlib(level: level)
            return
        }
        throw RepositoryError(.invalidRequest, "invalid compression '\(text)': use none, zlib or zlib:LEVEL with LEVEL 1 to 9")
    }

    package var description: String {
        switch self {
        case .none: "none"
        case .zlib(let level): "zlib:\(level)"
        }
    }
}

extension CompressionSetting: Codable {
    private enum CodingKeys: String, CodingKey {
        case codec, level
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .codec) {
        case "none":
            self = .none
        case "zlib":
            let level = try container.decode(Int.self, forKey: .level)
            guard (1...9).contains(level) else {
                throw DecodingError.dataCorruptedError(forKey: .level, in: container, debugDescription: "zlib level \(level) is not 1 to 9")
            }
            self = .zlib(level: level)
        case let codec:
            throw DecodingError.dataCorruptedError(forKey: .codec, in: container, debugDescription: "unknown codec '\(codec)'")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none:
            try container.encode("none", forKey: .codec)
        case .zlib(let level):
            try container.encode("zlib", forKey: .codec)
            try container.encode(level, forKey: .level)
        }
    }
}
