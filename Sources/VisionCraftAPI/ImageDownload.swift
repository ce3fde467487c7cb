import HTTPClient

/// Why an image could not be downloaded. A download failure is a step of
/// its own: retry the download, never the generation.
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
}

/// An image fetched into memory, checked.
public struct FetchedImage: Sendable, Equatable {
    public let bytes: [UInt8]
    public let format: ImageFormat
}

extension VisionCraftClient {
    /// Fetches an image: status, size cap and magic bytes checked.
    public func fetchImage(_ url: String) async throws(DownloadError) -> FetchedImage {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.perform(HTTPClientRequest(
                url: url, timeouts: configuration.timeouts, maximumResponseBytes: configuration.maximumImageBytes, followRedirects: true
            ))
        } catch {
            if error.kind == .responseTooLarge { throw .tooLarge(limit: configuration.maximumImageBytes) }
            let message = UpstreamText.message(error.message, keys: keysToScrub(nil))
            if error.kind == .redirectRefused { throw .redirectRefused(message) }
            throw .transient(message)
        }
        switch response.status {
        case 200..<300: break
        case 408, 429, 500..<600: throw .transient("HTTP \(response.status)")
        default: throw .gone(status: response.status)
        }
        guard let format = ImageFormat(magic: response.body) else {
            let start = response.body.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            throw .notAnImage("\(response.body.count) bytes starting with \(start.isEmpty ? "nothing" : start)")
        }
        return FetchedImage(bytes: response.body, format: format)
    }
}
