/// How a call to the VisionCraft API failed, in the terms a scheduler acts on.
public enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Worth retrying with backoff: connection refused or reset, timeouts,
    /// 5xx. `retryAfter` when the service said how long to wait.
    case transient(String, retryAfter: Duration?)
    /// The service limits requests: back off the whole queue for `retryAfter`
    /// (from `Retry-After`, else from the message, else nil: use the default
    /// backoff). Not an auth failure; costs no attempt.
    case rateLimited(String, retryAfter: Duration?)
    /// The key is missing, rejected, banned or revoked: pause until a new key.
    case auth(String)
    /// The request is wrong (422 and other 4xx): retrying cannot help.
    /// `field` names the parameter when the service said which.
    case invalid(String, field: String?)
    /// A 2xx whose body is not what the docs promise.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .transient(let message, _): "temporary failure: \(message)"
        case .rateLimited(let message, _): "rate limited: \(message)"
        case .auth(let message): "the API key was refused: \(message)"
        case .invalid(let message, _): "the request was refused: \(message)"
        case .protocolViolation(let message): "the service answered something unexpected: \(message)"
        }
    }

}
