/// What the first bytes of a file with a given extension must look like:
/// the magic numbers of common formats, or "text" for extensions whose
/// contents always compress.
///
/// Ransomware overwrites a file with ciphertext, which starts with no known
/// magic number and does not compress; so a `.pdf` that no longer starts
/// with `%PDF-`, or a `.txt` whose contents turned incompressible, is a sign.
package enum ContentSignature: Sendable, Hashable {
    /// One of these byte strings must appear at its offset.
    case magic([Magic])
    /// Text: the contents must not be incompressible.
    case text

    /// A byte string expected at an offset from the start of a file.
    package struct Magic: Sendable, Hashable {
        /// Where the bytes start.
        package var offset: Int
        /// The bytes.
        package var bytes: [UInt8]

        init(_ bytes: [UInt8], at offset: Int = 0) {
            self.offset = offset
            self.bytes = bytes
        }

        init(_ text: String, at offset: Int = 0) {
            self.init(Array(text.utf8), at: offset)
        }
    }

    /// The number of leading bytes a file sample must keep to test every signature.
    package static let headLength = 32

    /// The signature a file name's extension promises, or `nil` when vault
    /// knows none (no extension, or an extension it does not check).
    ///
    /// The extension is the part after the last `.`, compared without
    /// regard to case; `libx.so.6` and the like count as `.so`.
    package static func expected(forName name: some Collection<UInt8>) -> ContentSignature? {
        let bytes = Array(name)
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot > 0 else { return nil }
        let suffix = String(decoding: bytes[(dot + 1)...], as: UTF8.self).lowercased()
        if let signature = byExtension[suffix] {
            return signature
        }
        // Versioned shared libraries: libz.so.1, libssl.so.3.0.
        if !suffix.isEmpty, suffix.allSatisfy(\.isNumber),
            bytes[..<dot].split(separator: UInt8(ascii: ".")).dropFirst().contains(where: { $0.elementsEqual("so".utf8) }) {
            return byExtension["so"]
        }
        return nil
    }

    /// Whether a file's first bytes (at least ``headLength`` of them when
    /// the file is that long) and compressibility fit this signature.
    ///
    /// - Parameters:
    ///   - head: The file's first bytes.
    ///   - compressibility: How the contents compress; only text uses it.
    package func matches(head: [UInt8], compressibility: Compressibility) -> Bool {
        switch self {
        case .text:
            return compressibility != .incompressible
        case .magic(let magics):
            return magics.contains { magic in
                let (end, overflow) = magic.offset.addingReportingOverflow(magic.bytes.count)
                guard !overflow, end <= head.count else { return false }
                return head[magic.offset..<end].elementsEqual(magic.bytes)
            }
        }
    }

    // MARK: The table

    private static let zip: ContentSignature = .magic([Magic([0x50, 0x4B, 0x03, 0x04]), Magic([0x50, 0x4B, 0x05, 0x06]), Magic([0x50, 0x4B, 0x07, 0x08])])
    private static let ole2: ContentSignature = .magic([Magic([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])])
    private static let gzip: ContentSignature = .magic([Magic([0x1F, 0x8B])])
    private static let elf: ContentSignature = .magic([Magic([0x7F, 0x45, 0x4C, 0x46])])
    private static let riff: ContentSignature = .magic([Magic("RIFF")])
    private static let isoMedia: ContentSignature = .magic([Magic("ftyp", at: 4)])

    private static let textExtensions = [
        "txt", "md", "markdown", "rst", "csv", "tsv", "json", "xml", "html", "htm", "xhtml", "css", "js", "c", "h",
        "cc", "cpp", "hpp", "cxx", "m", "swift", "py", "rb", "go", "rs", "java", "kt", "scala", "sh", "bash", "zsh", "pl",
        "pm", "php", "lua", "r", "yaml", "yml", "toml", "ini", "cfg", "conf", "log", "tex", "bib", "sql", "svg", "rtf",
        "eml", "ics", "vcf", "srt", "asm", "s", "el", "vim", "org", "adoc", "properties", "gradle", "cmake", "mk",
    ]

    /// Extension (lowercase, without the dot) → signature.
    static let byExtension: [String: ContentSignature] = {
        var table: [String: ContentSignature] = [
            "pdf": .magic([Magic("%PDF-")]),
            "png": .magic([Magic([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])]),
            "jpg": .magic([Magic([0xFF, 0xD8, 0xFF])]),
            "jpeg": .magic([Magic([0xFF, 0xD8, 0xFF])]),
            "gif": .magic([Magic("GIF87a"), Magic("GIF89a")]),
            "bmp": .magic([Magic("BM")]),
            "tif": .magic([Magic([0x49, 0x49, 0x2A, 0x00]), Magic([0x4D, 0x4D, 0x00, 0x2A])]),
            "tiff": .magic([Magic([0x49, 0x49, 0x2A, 0x00]), Magic([0x4D, 0x4D, 0x00, 0x2A])]),
            "webp": riff, "wav": riff, "avi": riff,
            "mp4": isoMedia, "m4a": isoMedia, "m4v": isoMedia, "mov": isoMedia, "heic": isoMedia,
            "flac": .magic([Magic("fLaC")]),
            "ogg": .magic([Magic("OggS")]), "opus": .magic([Magic("OggS")]),
            "psd": .magic([Magic("8BPS")]),
            "sqlite": .magic([Magic("SQLite format 3\u{0}")]),
            "sqlite3": .magic([Magic("SQLite format 3\u{0}")]),
            "so": elf, "ko": elf,
            "gz": gzip, "tgz": gzip,
            "bz2": .magic([Magic("BZh")]), "tbz2": .magic([Magic("BZh")]),
            "xz": .magic([Magic([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])]), "txz": .magic([Magic([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])]),
            "zst": .magic([Magic([0x28, 0xB5, 0x2F, 0xFD])]),
            "7z": .magic([Magic([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C])]),
            "rar": .magic([Magic("Rar!\u{1A}\u{07}")]),
            "doc": ole2, "xls": ole2, "ppt": ole2, "msg": ole2,
            "class": .magic([Magic([0xCA, 0xFE, 0xBA, 0xBE])]),
            "wasm": .magic([Magic([0x00, 0x61, 0x73, 0x6D])]),
            "woff": .magic([Magic("wOFF")]), "woff2": .magic([Magic("wOF2")]),
            "otf": .magic([Magic("OTTO")]),
            "ttf": .magic([Magic([0x00, 0x01, 0x00, 0x00]), Magic("true")]),
            "deb": .magic([Magic("!<arch>\n")]),
            "rpm": .magic([Magic([0xED, 0xAB, 0xEE, 0xDB])]),
        ]
        for suffix in ["zip", "jar", "war", "apk", "epub", "docx", "xlsx", "pptx", "docm", "xlsm", "odt", "ods", "odp", "odg", "xpi", "whl", "kmz"] {
            table[suffix] = zip
        }
        for suffix in textExtensions {
            table[suffix] = .text
        }
        return table
    }()
}
