import JSON

/// Turns the service's answers into `UpstreamError`s (or success), reading
/// the three error-body shapes public clients have met: `{"detail": string
/// or list}` (FastAPI), `{"error": "message"}` and `{"error": {"message":
/// ...}, "code": ...}`.
enum UpstreamClassifier {
    /// Classifies a non-2xx answer.
    ///
    /// - Parameters:
    ///   - key: redacted from every message (some versions echo the input).
    ///   - now: seconds since the epoch, for HTTP-date Retry-After values.
    static func classify(status: Int, retryAfterHeader: String?, body: [UInt8], key: String?, now: Double) -> UpstreamError {
        let (message, field) = readError(body, status: status)
        let text = UpstreamText.capped(redact(message, key: key))
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

    /// The message (and, for FastAPI lists, the first field) of an error body.
    static func readError(_ body: [UInt8], status: Int) -> (String, String?) {
        guard let json = try? JSONParser.parse(body) else {
            // Cut by `classify`, after the key is redacted.
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
                return (parts.joined(separator: "; "), field.map { UpstreamText.capped($0, limit: UpstreamText.maximumNameBytes) })
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
    /// one entry, every one an http(s) URL.
    static func readImages(_ body: [UInt8], key: String?) -> Result<[String], UpstreamError> {
        guard let json = try? JSONParser.parse(body) else {
            return .failure(.protocolViolation("the answer is not JSON: \(excerpt(String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self), key: key))"))
        }
        guard let images = json["images"]?.arrayValue else {
            return .failure(.protocolViolation("the answer has no \"images\" list"))
        }
        guard !images.isEmpty else { return .failure(.protocolViolation("the answer's \"images\" list is empty")) }
        var urls: [String] = []
        for image in images {
            guard let url = image.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                return .failure(.protocolViolation("an entry of \"images\" is not an http(s) URL: \(excerpt(image.description, key: key))"))
            }
            guard url.utf8.count <= UpstreamText.maximumURLBytes else {
                return .failure(.protocolViolation(
                    "an entry of \"images\" is a URL of \(url.utf8.count) bytes, over the \(UpstreamText.maximumURLBytes) taken: \(excerpt(url, key: key))"
                ))
            }
            urls.append(url)
        }
        return .success(urls)
    }

    /// Text from the upstream as a message may hold it: the key redacted,
    /// then cut to a short excerpt.
    static func excerpt(_ text: String, key: String?) -> String {
        UpstreamText.capped(redact(text, key: key), limit: 200)
    }

    /// Replaces every occurrence of the key with "***".
    static func redact(_ text: String, key: String?) -> String {
        guard let key, key.count >= 4, text.contains(key) else { return text }
        return text.split(separator: key, omittingEmptySubsequences: false).joined(separator: "***")
    }
}
