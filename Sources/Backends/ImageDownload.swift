import HTTPClient

extension HTTPClient {
    /// Downloads an image a backend named by URL: redirects followed over
    /// http and https only, the status, a size cap and the image's
    /// signature checked, and every text of a failure scrubbed of `keys`.
    package func downloadImage(
        _ url: String, timeouts: HTTPClientRequest.Timeouts, maximumBytes: Int, scrubbing keys: [String]
    ) async throws(DownloadError) -> FetchedImage {
        let response: HTTPClientResponse
        do {
            response = try await perform(HTTPClientRequest(url: url, timeouts: timeouts, maximumResponseBytes: maximumBytes, followRedirects: true))
        } catch {
            if error.kind == .responseTooLarge { throw .tooLarge(limit: maximumBytes) }
            let message = UpstreamText.message(error.message, keys: keys)
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
