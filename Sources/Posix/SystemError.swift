#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: the function, what it was applied to, and `errno`.
///
/// The description reads like `bind(/run/user/1000/visioncraft/visioncraftd.sock):
/// Address already in use (errno 98)`, so it can be shown to a user as is.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value the call left.
    public let code: Int32
    /// The C function that failed, such as `bind`.
    public let function: String
    /// What the call was applied to (a path, a descriptor), if that helps the reader.
    public let subject: String?

    /// Creates an error from an explicit `errno` value.
    public init(code: Int32, function: String, subject: String? = nil) {
        self.code = code
        self.function = function
        self.subject = subject
    }

    /// Captures the current thread's `errno` for a call that just failed.
    public static func last(_ function: String, _ subject: String? = nil) -> SystemError {
        SystemError(code: errno, function: function, subject: subject)
    }

    /// The system's text for the error code, such as "No such file or directory".
    public var reason: String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    public var description: String {
        let target = subject.map { "(\($0))" } ?? ""
        return "\(function)\(target): \(reason) (errno \(code))"
    }

    /// True for ENOENT.
    public var isNoSuchFile: Bool { code == ENOENT }
    /// True for ECONNREFUSED: nobody listens on the socket.
    public var isConnectionRefused: Bool { code == ECONNREFUSED }
    /// True for errors that mean the peer went away (EPIPE, ECONNRESET, ENOTCONN).
    public var isDisconnect: Bool { code == EPIPE || code == ECONNRESET || code == ENOTCONN }
}

/// Runs a system call, retrying while it fails with EINTR, and throws
/// `SystemError` for any other failure (a result of -1).
///
/// - Parameters:
///   - function: the C function's name, for the error message.
///   - subject: what the call applies to, for the error message.
///   - body: the call; returns -1 and sets errno on failure.
@inline(__always)
public func retryingInterrupts<Result: BinaryInteger>(
    _ function: String,
    _ subject: @autoclosure () -> String? = nil,
    _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(code: code, function: function, subject: subject())
    }
}
