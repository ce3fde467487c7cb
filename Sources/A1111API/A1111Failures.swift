import Backends
import HTTPClient
import Jobs
import JSON

/// Turns AUTOMATIC1111's answers into `BackendFailure`s. Its errors are
/// `{"error": class name, "detail": text, "body": ..., "errors": str(e)}`
/// (`api_middleware`), FastAPI's own validation errors
/// `{"detail": [{"loc", "msg"}]}`; 401 for a wrong `--api-auth` user or
/// password; 400 or 404 "Sampler not found"; 404 "Model not found" on some
/// forks; 500 for whatever failed while generating, and for an init image
/// it cannot use (`decode_base64_to_image`). stable-diffusion.cpp's
/// `sd-server` answers `{"error": message}` (400) and `{"error":
/// "server_error", "message": ...}` (500).
enum A1111Failures {
    /// A non-2xx answer, classified. Every text is scrubbed of `keys` and
    /// capped (`UpstreamText`).
    ///
    /// - Parameter now: seconds since the epoch, for HTTP-date Retry-After values.
    static func classify(status: Int, retryAfterHeader: String?, body: [UInt8], keys: [String], now: Double) -> BackendFailure {
        let (detail, field) = read(body, keys: keys)
        let text = UpstreamText.message("HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)"), keys: keys)
        let retryAfter = retryAfterHeader.flatMap { RetryAfter.parse($0, now: now) }
        switch status {
        case 401, 403:
            return .keyRefused("\(text); \(A1111Credentials.form)")
        case 429:
            return .rateLimited(text, retryAfter: retryAfter)
        case 408:
            return .transient(text, retryAfter: retryAfter)
        case 404 where detail == "Not Found":
            // FastAPI's answer for a route it does not have.
            return .invalid("\(text) (is the server an AUTOMATIC1111, Forge or SD.Next started with --api?)", field: nil)
        case 400..<500:
            return .invalid(text, field: field ?? Self.field(mentionedIn: detail))
        case 500..<600 where initImageRefusals.contains(detail):
            return .invalid(text, field: JobField.initImage.wireName)
        case 500..<600:
            return .transient(text, retryAfter: retryAfter)
        default:
            return .protocolViolation(text)
        }
    }

    /// What `decode_base64_to_image` answers, with a 500, for an init image
    /// it will not take: a URL when the server fetches none
    /// (`api_enable_requests`) or none on a private network
    /// (`api_forbid_local_requests`), bytes it cannot read. Retrying cannot help.
    static let initImageRefusals: Set<String> = [
        "Requests not allowed", "Request to local resource not allowed", "Invalid image url", "Invalid encoded image",
    ]

    /// A transfer that failed before an answer came.
    static func transport(_ error: HTTPClientError, keys: [String]) -> BackendFailure {
        let message = UpstreamText.message(error.message, keys: keys)
        switch error.kind {
        case .invalidURL: return .invalid("the a1111 backend's URL is wrong: \(message)", field: nil)
        case .tls: return .transient("TLS: \(message) (see tls_verify / --insecure if the server's certificate is known to be bad)", retryAfter: nil)
        case .responseTooLarge: return .protocolViolation(message)
        default: return .transient(message, retryAfter: nil)
        }
    }

    /// The message of an error body (scrubbed, not cut yet) and, for
    /// FastAPI's lists, the job field the first entry names.
    static func read(_ body: [UInt8], keys: [String]) -> (String, String?) {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            let text = String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self)
            // An HTML error page (a proxy's) says nothing worth keeping.
            return (text.contains("<") ? "" : UpstreamText.scrubbed(text, keys: keys), nil)
        }
        var field: String?
        var message = ""
        if let detail = json["detail"]?.stringValue {
            message = detail
        } else if let items = json["detail"]?.arrayValue {
            message = items.prefix(5).map { item -> String in
                let loc = (item["loc"]?.arrayValue ?? []).compactMap { $0.stringValue ?? $0.numberValue?.text }.filter { $0 != "body" }
                if field == nil, let first = loc.first { field = Self.jobField(first) }
                let text = item["msg"]?.stringValue ?? item.description
                return loc.isEmpty ? text : "\(loc.joined(separator: ".")): \(text)"
            }.joined(separator: "; ")
        }
        // A1111's str(e), then stable-diffusion.cpp's `{"error", "message"}`.
        for key in ["errors", "message", "error"] where message.isEmpty {
            message = json[key]?.stringValue ?? ""
        }
        return (UpstreamText.scrubbed(message, keys: keys), field)
    }

    /// The job field (`JobField`'s wire name) an A1111 request field sets.
    static func jobField(_ name: String) -> String? {
        switch name {
        case "sampler_name", "sampler_index": return JobField.sampler.wireName
        case "batch_size", "n_iter": return JobField.imageCount.wireName
        case "override_settings": return JobField.model.wireName
        default: return JobField(rawValue: name)?.wireName
        }
    }

    /// The field an error message is about ("Sampler not found", "Model
    /// not found", "Invalid encoded image"), when it names one.
    static func field(mentionedIn message: String) -> String? {
        let lowered = message.lowercased()
        if lowered.contains("scheduler") { return JobField.scheduler.wireName }
        if lowered.contains("sampler") { return JobField.sampler.wireName }
        if lowered.contains("checkpoint") || lowered.contains("model") { return JobField.model.wireName }
        if lowered.contains("init image") || lowered.contains("encoded image") { return JobField.initImage.wireName }
        return nil
    }
}
