import Backends
import HTTPClient
import Jobs
import JSON

/// Turns the answers of OpenAI's images API (and of the servers with its
/// shape) into `BackendFailure`s. OpenAI's errors are `{"error": {message,
/// type, param, code}}`: 401 for a wrong key, 403 for a key or organisation
/// not allowed the model, 429 for requests or images per minute (with
/// `Retry-After`, or `retry-after-ms`) and for `insufficient_quota`, 400
/// `invalid_request_error` naming the request field in `param`, and
/// `billing_hard_limit_reached` and the like for an account out of credit.
/// LocalAI answers the same object with a numeric `code`; stable-diffusion.cpp's
/// `sd-server` `{"error": message}`.
enum OpenAIFailures {
    /// The parts of an error body, scrubbed (not cut yet).
    struct Detail: Equatable {
        var message = ""
        var type: String?
        var param: String?
        var code: String?
    }

    /// A non-2xx answer, classified. Every text is scrubbed of `keys` and
    /// capped (`UpstreamText`).
    ///
    /// - Parameters:
    ///   - retryAfterMilliseconds: OpenAI's `retry-after-ms`, preferred to
    ///     `Retry-After` when both come (it is the finer of the two).
    ///   - sentKey: whether a key was sent (a 401 without one asks for one).
    ///   - now: seconds since the epoch, for HTTP-date Retry-After values.
    static func classify(
        status: Int, retryAfterHeader: String?, retryAfterMilliseconds: String?, body: [UInt8], keys: [String], sentKey: Bool, now: Double
    ) -> BackendFailure {
        let detail = read(body, keys: keys)
        let text = UpstreamText.message("HTTP \(status)" + (detail.message.isEmpty ? "" : ": \(detail.message)"), keys: keys)
        let retryAfter = retryAfterMilliseconds.flatMap(Self.milliseconds) ?? retryAfterHeader.flatMap { RetryAfter.parse($0, now: now) }
        if isQuota(detail) { return .quota(text) }
        switch status {
        case 401, 403:
            return .keyRefused(text + (sentKey ? "" : "; no key was sent: set one with vcctl key set"))
        case 429:
            return .rateLimited(text, retryAfter: retryAfter)
        case 408, 409:
            return .transient(text, retryAfter: retryAfter)
        case 404 where detail.param == nil && detail.code != "model_not_found":
            return .invalid("\(text) (does the backend's URL lead to an OpenAI-compatible server, with no /v1 in it?)", field: nil)
        case 400..<500:
            return .invalid(text, field: field(of: detail))
        case 500..<600:
            return .transient(text, retryAfter: retryAfter)
        default:
            return .protocolViolation(text)
        }
    }

    /// Whether the account is out of credit: no retry can help until the
    /// operator pays (OpenAI sends `insufficient_quota` with a 429).
    static func isQuota(_ detail: Detail) -> Bool {
        [detail.code, detail.type].contains { $0 == "insufficient_quota" || $0?.hasPrefix("billing_") == true }
    }

    /// The job field (`JobField`'s wire name) an error is about: the request
    /// field `param` names, or the prompt for a refusal of its content.
    static func field(of detail: Detail) -> String? {
        switch detail.param {
        case "prompt"?: return JobField.prompt.wireName
        case "model"?: return JobField.model.wireName
        case "size"?: return JobField.width.wireName
        case "n"?: return JobField.imageCount.wireName
        case "image"?, "image[]"?, "images"?: return JobField.initImage.wireName
        default: break
        }
        if detail.code == "model_not_found" { return JobField.model.wireName }
        if ["content_policy_violation", "moderation_blocked"].contains(detail.code) { return JobField.prompt.wireName }
        return nil
    }

    /// A transfer that failed before an answer came.
    static func transport(_ error: HTTPClientError, keys: [String]) -> BackendFailure {
        let message = UpstreamText.message(error.message, keys: keys)
        switch error.kind {
        case .invalidURL: return .invalid("the openai backend's URL is wrong: \(message)", field: nil)
        case .tls: return .transient("TLS: \(message) (see tls_verify / --insecure if the server's certificate is known to be bad)", retryAfter: nil)
        case .responseTooLarge: return .protocolViolation(message)
        default: return .transient(message, retryAfter: nil)
        }
    }

    /// The message, type, param and code of an error body: OpenAI's object,
    /// or a string `error` (sd-server), or `message` alone; a body that is
    /// not JSON is its text, unless it is an HTML page (a proxy's).
    static func read(_ body: [UInt8], keys: [String]) -> Detail {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            let text = String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self)
            return Detail(message: text.contains("<") ? "" : UpstreamText.scrubbed(text, keys: keys))
        }
        func scrubbed(_ value: JSON?) -> String? {
            guard let value, value != .null else { return nil }
            return UpstreamText.scrubbed(value.stringValue ?? value.numberValue?.text ?? value.description, keys: keys)
        }
        if let error = json["error"], error.objectValue != nil {
            return Detail(
                message: scrubbed(error["message"]) ?? "", type: scrubbed(error["type"]), param: scrubbed(error["param"]), code: scrubbed(error["code"])
            )
        }
        return Detail(message: scrubbed(json["error"]) ?? scrubbed(json["message"]) ?? scrubbed(json["detail"]) ?? "")
    }

    /// `retry-after-ms`: a whole or fractional number of milliseconds.
    static func milliseconds(_ text: String) -> Duration? {
        guard let value = Double(text.trimmingSpaces), value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64(min(value, 86_400_000)))
    }
}
