import Backends
import JSON

/// Turns the service's answers into `UpstreamError`s (or success), reading
/// the three error-body shapes public clients have met: `{"detail": string
/// or list}` (FastAPI), `{"error": "message"}` and `{"error": {"message":
/// ...}, "code": ...}`.
enum UpstreamClassifier {
    /// Classifies a non-2xx answer.
    ///
    /// - Parameters:
    ///   - keys: scrubbed from every text (some versions echo the input).
    ///   - now: seconds since the epoch, for HTTP-date Retry-After values.
    static func classify(status: Int, retryAfterHeader: String?, body: [UInt8], keys: [String], now: Double) -> UpstreamError {
        let (message, field) = readError(body, status: status, keys: keys)
        let text = UpstreamText.message(message, keys: keys)
        let retryAfter = retryAfterHeader.flatMap { RetryAfter.parse($0, now: now) }
        switch status {
        case 429:
            return .rateLimited(text, retryAfter: retryAfter ?? RetryAfter.fromMessage(text))
        case 401:
            return .auth(text)
        case 403:
            if isAboutLimits(text) {
                return .rateLimited(text, retryAfter: retryAfter ?? RetryAfter.fromMessage(text))
            }
            return .auth(text)
        case 408:
            return .transient(text, retryAfter: retryAfter)
        case 400..<500:
            return .invalid(text, field: field)
        default:
            return .transient(text, retryAfter: retryAfter)
        }
    }

    /// A 403 about limits is a rate limit, not a dead key.
    static func isAboutLimits(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return ["limit", "too many", "requests per", "rate"].contains { lowered.contains($0) }
    }

    /// The message (and, for FastAPI lists, the first field) of an error
    /// body. The message is scrubbed and cut by `classify`; the field here.
    static func readError(_ body: [UInt8], status: Int, keys: [String]) -> (String, String?) {
        guard let json = try? JSONParser.parse(body) else {
            let text = String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self).trimmingSpaces
            return (text.isEmpty || text.contains("<") ? "HTTP \(status)" : "HTTP \(status): \(text)", nil)
        }
        if let detail = json["detail"] {
            if let text = detail.stringValue { return (text, nil) }
            if let items = detail.arrayValue, !items.isEmpty {
                var field: String?
                let parts = items.prefix(5).map { item -> String in
                    let loc = (item["loc"]?.arrayValue ?? []).compactMap { $0.stringValue ?? $0.numberValue?.text }.filter { $0 != "body" }
                    let name = loc.joined(separator: ".")
                    if field == nil, !name.isEmpty { field = name }
                    let message = item["msg"]?.stringValue ?? "\(item)"
                    return name.isEmpty ? message : "\(name): \(message)"
                }
                return (parts.joined(separator: "; "), field.map { UpstreamText.message($0, keys: keys, limit: UpstreamText.maximumNameBytes) })
            }
        }
        if let error = json["error"] {
            if let text = error.stringValue { return (text, nil) }
            if let text = error["message"]?.stringValue { return (text, nil) }
        }
        if let text = json["message"]?.stringValue { return (text, nil) }
        return ("HTTP \(status): \(String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self))", nil)
    }

    /// Reads a successful generation: `{"images": [url, ...]}` with at least
    /// one entry, every one an http(s) URL that holds no piece of a key.
    static func readImages(_ body: [UInt8], keys: [String]) -> Result<[String], UpstreamError> {
        guard let json = try? JSONParser.parse(body) else {
            return .failure(.protocolViolation("the answer is not JSON: \(excerpt(String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self), keys: keys))"))
        }
        guard let images = json["images"]?.arrayValue else {
            return .failure(.protocolViolation("the answer has no \"images\" list"))
        }
        guard !images.isEmpty else { return .failure(.protocolViolation("the answer's \"images\" list is empty")) }
        var urls: [String] = []
        for image in images {
            guard let url = image.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                return .failure(.protocolViolation("an entry of \"images\" is not an http(s) URL: \(excerpt(image.description, keys: keys))"))
            }
            guard url.utf8.count <= UpstreamText.maximumURLBytes else {
                return .failure(.protocolViolation(
                    "an entry of \"images\" is a URL of \(url.utf8.count) bytes, over the \(UpstreamText.maximumURLBytes) taken: \(excerpt(url, keys: keys))"
                ))
            }
            // A URL cannot be scrubbed and still work; kept, it would put the
            // key in the job database and every reply.
            let scrubbed = UpstreamText.scrubbed(url, keys: keys)
            guard scrubbed == url else {
                return .failure(.protocolViolation(
                    "an entry of \"images\" holds the API key (or a piece of it), so it is neither fetched nor stored: \(excerpt(scrubbed, keys: []))"
                ))
            }
            urls.append(url)
        }
        return .success(urls)
    }

    /// Text from the upstream as a message of ours may quote it: the keys
    /// scrubbed, then cut to a short excerpt.
    static func excerpt(_ text: String, keys: [String]) -> String {
        UpstreamText.message(text, keys: keys, limit: UpstreamText.maximumExcerptBytes)
    }
}
