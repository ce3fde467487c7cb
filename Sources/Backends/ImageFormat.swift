/// What a downloaded file is, from its first bytes.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case png, jpeg, webp

    /// The format whose signature `bytes` start with, or nil.
    public init?(magic bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if head.count >= 12, head[0..<4] == [0x52, 0x49, 0x46, 0x46], head[8..<12] == [0x57, 0x45, 0x42, 0x50] {
            self = .webp
        } else {
            return nil
        }
    }

    /// The file extension.
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    /// The MIME type.
    public var mimeType: String { "image/\(rawValue)" }
}
