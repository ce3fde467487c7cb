import HTTPServer
import JSON

/// An error as the OpenAI API answers it: a status and
/// `{"error": {"message", "type", "param", "code"}}`, the messages worded as
/// the API words them so that clients that match on them keep working.
struct OpenAIError: Error {
    var status: HTTPStatus
    var message: String
    var type: String
    var param: String?
    var code: String?
    var headers: [(name: String, value: String)] = []

    /// The answer.
    var response: HTTPResponse {
        let body: JSON = [
            "error": [
                "message": .string(message), "type": .string(type), "param": param.map(JSON.string) ?? .null,
                "code": code.map(JSON.string) ?? .null,
            ]
        ]
        return .json(body, status: status, headers: headers)
    }

    /// A 400 invalid_request_error about one parameter.
    static func invalid(_ message: String, param: String?, code: String?) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func missing(_ param: String) -> OpenAIError {
        invalid("Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    static func unknownParameter(_ param: String) -> OpenAIError {
        invalid("Unknown parameter: '\(param)'.", param: param, code: "unknown_parameter")
    }

    static func invalidType(_ param: String, expected: String, got: JSON) -> OpenAIError {
        invalid("Invalid type for '\(param)': expected \(expected), but got \(got.typeName == "array" || got.typeName == "object" ? "an" : "a") \(got.typeName) instead.", param: param, code: "invalid_type")
    }

    /// A value outside the listed ones, listed as the API lists them.
    static func invalidValue(_ param: String, _ value: String, supported: [String]) -> OpenAIError {
        let quoted = supported.map { "'\($0)'" }
        let list: String
        switch quoted.count {
        case 0, 1: list = quoted.joined()
        case 2: list = "\(quoted[0]) and \(quoted[1])"
        default: list = quoted.dropLast().joined(separator: ", ") + ", and " + quoted[quoted.count - 1]
        }
        return invalid("Invalid value: '\(value)'. Supported values are: \(list).", param: param, code: "invalid_value")
    }

    static func integerOutOfRange(_ param: String, _ value: Int, _ range: ClosedRange<Int>) -> OpenAIError {
        value < range.lowerBound
            ? invalid(
                "Invalid '\(param)': integer below minimum value. Expected a value >= \(range.lowerBound), but got \(value) instead.", param: param,
                code: "integer_below_min_value")
            : invalid(
                "Invalid '\(param)': integer above maximum value. Expected a value <= \(range.upperBound), but got \(value) instead.", param: param,
                code: "integer_above_max_value")
    }

    static let unparsableJSON = invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. "
            + "The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, "
            + "please contact us through our help center at help.openai.com.)", param: nil, code: nil)

    static func invalidURL(_ method: String, _ path: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: "Invalid URL (\(method) \(path))", type: "invalid_request_error", param: nil, code: nil)
    }

    static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(
            status: .notFound, message: "The model '\(model)' does not exist or you do not have access to it.", type: "invalid_request_error",
            param: nil, code: "model_not_found")
    }

    static let missingKey = OpenAIError(
        status: HTTPStatus(code: 401, reason: "Unauthorized"),
        message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
            + "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your "
            + "browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error", param: nil, code: nil)

    /// The 401 for a key not accepted, showing its ends only, as the API does.
    static func incorrectKey(_ key: String) -> OpenAIError {
        let shown = key.count > 8 ? "\(key.prefix(4))\(String(repeating: "*", count: min(key.count - 8, 24)))\(key.suffix(4))" : "****"
        return OpenAIError(
            status: HTTPStatus(code: 401, reason: "Unauthorized"),
            message: "Incorrect API key provided: \(shown). You can find your API key at https://platform.openai.com/account/api-keys.",
            type: "invalid_request_error", param: nil, code: "invalid_api_key")
    }

    /// The billing error: no retry helps until the plan changes.
    static let insufficientQuota = OpenAIError(
        status: .tooManyRequests,
        message: "You exceeded your current quota, please check your plan and billing details. For more information on this error, "
            + "read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        type: "insufficient_quota", param: nil, code: "insufficient_quota")

    /// The rate limit's 429, with both retry headers the SDKs read.
    static func rateLimited(_ model: String, retryAfterSeconds: Int) -> OpenAIError {
        OpenAIError(
            status: .tooManyRequests,
            message: "Rate limit reached for \(model) in organization org-emulator on images per minute (IPM): Limit 5, Used 5, Requested 1. "
                + "Please try again in \(retryAfterSeconds)s. Visit https://platform.openai.com/account/rate-limits to learn more.",
            type: "requests", param: nil, code: "rate_limit_exceeded",
            headers: [("Retry-After", String(retryAfterSeconds)), ("retry-after-ms", String(retryAfterSeconds * 1000))])
    }

    static let serverError = OpenAIError(
        status: .internalServerError, message: "The server had an error while processing your request. Sorry about that!", type: "server_error",
        param: nil, code: nil)

    static let overloaded = OpenAIError(
        status: .serviceUnavailable, message: "The engine is currently overloaded, please try again later.", type: "server_error", param: nil,
        code: nil)
}
