import Backends
import HTTPClient

extension VisionCraftClient {
    /// Fetches an image: status, size cap and magic bytes checked.
    public func fetchImage(_ url: String) async throws(DownloadError) -> FetchedImage {
        try await httpClient.downloadImage(url, timeouts: configuration.timeouts, maximumBytes: configuration.maximumImageBytes, scrubbing: keysToScrub(nil))
    }
}
