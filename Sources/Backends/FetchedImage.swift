/// An image's bytes with the format their first bytes say: what a backend
/// hands over (downloaded, or decoded from its answer) and what an init
/// image file holds.
public struct FetchedImage: Sendable, Equatable {
    public let bytes: [UInt8]
    public let format: ImageFormat

    public init(bytes: [UInt8], format: ImageFormat) {
        self.bytes = bytes
        self.format = format
    }

    /// `bytes` with the format their signature names; nil when they start
    /// with no signature of ours.
    public init?(checking bytes: [UInt8]) {
        guard let format = ImageFormat(magic: bytes) else { return nil }
        self.init(bytes: bytes, format: format)
    }
}
