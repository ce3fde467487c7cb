import Backends
import HTTPClient

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
        guard let image = FetchedImage(checking: response.body) else { throw .notAnImage(response.body) }
        return image
    }
}
