import Posix

/// Why a call from `RPCClient` failed.
public enum RPCClientError: Error, Sendable, CustomStringConvertible {
    /// Reading or writing the socket failed.
    case io(SystemError)
    /// The server closed the connection before answering.
    case connectionClosed
    /// No answer within the time allowed.
    case timedOut(Duration)
    /// The server's reply is not JSON-RPC, or a result lacks a field.
    case malformedReply(String)
    /// The server answered with an error object.
    case server(RPCError)

    public var description: String {
        switch self {
        case .io(let error): "connection error: \(error)"
        case .connectionClosed: "the daemon closed the connection before answering"
        case .timedOut(let limit): "no answer from the daemon within \(limit.seconds) s"
        case .malformedReply(let detail): "the daemon's reply makes no sense: \(detail)"
        case .server(let error): error.message
        }
    }
}
