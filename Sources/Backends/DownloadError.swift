/// Why an image a backend named by URL could not be downloaded. A download
/// failure is a step of its own: the scheduler retries the download, and
/// makes the image again only when it is gone or keeps arriving corrupt,
/// never for a passing failure.
public enum DownloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Worth retrying (connection trouble, 5xx, 429).
    case transient(String)
    /// The image is not there any more (404, 410, other 4xx).
    case gone(status: Int)
    /// The bytes are not a PNG, JPEG or WebP image.
    case notAnImage(String)
    /// Larger than the configured maximum.
    case tooLarge(limit: Int)
    /// The URL redirects to a scheme other than http or https: never followed.
    case redirectRefused(String)

    public var description: String {
        switch self {
        case .transient(let message): "download failed for now: \(message)"
        case .gone(let status): "the image is gone (HTTP \(status))"
        case .notAnImage(let detail): "the download is not an image: \(detail)"
        case .tooLarge(let limit): "the image is larger than \(limit) bytes"
        case .redirectRefused(let message): "the image cannot be downloaded: \(message)"
        }
    }

    /// `.notAnImage` for `bytes`, saying how many there are and how they start.
    public static func notAnImage(_ bytes: [UInt8]) -> DownloadError {
        let start = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
        return .notAnImage("\(bytes.count) bytes starting with \(start.isEmpty ? "nothing" : start)")
    }
}
