import Jobs

/// How a call to a backend failed, in the terms the scheduler acts on; each
/// backend maps its service's errors to these.
public enum BackendFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Worth retrying with backoff (connection trouble, timeouts, 5xx);
    /// `retryAfter` when the service said how long to wait.
    case transient(String, retryAfter: Duration?)
    /// The service limits requests: the whole lane waits `retryAfter` (nil:
    /// the configured default). Costs no attempt.
    case rateLimited(String, retryAfter: Duration?)
    /// The key is missing, rejected or revoked: wait for a new key.
    case keyRefused(String)
    /// The account has no credit left: wait for the operator.
    case quota(String)
    /// The request is wrong; retrying cannot help. `field` is its wire name
    /// when known.
    case invalid(String, field: String?)
    /// Any other failure retrying cannot help.
    case permanent(String)
    /// A success whose body is not what the service documents.
    case protocolViolation(String)
    /// The remote job a request became is gone from the service (a
    /// restart of it lost its queue): the request is sent again.
    case remoteLost(String)

    public var description: String {
        switch self {
        case .transient(let message, _): "temporary failure: \(message)"
        case .rateLimited(let message, _): "rate limited: \(message)"
        case .keyRefused(let message): "the API key was refused: \(message)"
        case .quota(let message): "the account's quota is used up: \(message)"
        case .invalid(let message, _): "the request was refused: \(message)"
        case .permanent(let message): message
        case .protocolViolation(let message): "the service answered something unexpected: \(message)"
        case .remoteLost(let message): "the service lost the job it was making: \(message)"
        }
    }

    /// The kind of job failure this is (stored, sent, shown).
    public var kind: FailureKind {
        switch self {
        case .transient: .transient
        case .rateLimited: .rateLimited
        case .keyRefused: .auth
        case .quota: .quota
        case .invalid: .invalid
        case .permanent: .permanent
        case .protocolViolation: .protocol
        case .remoteLost: .transient
        }
    }
}
