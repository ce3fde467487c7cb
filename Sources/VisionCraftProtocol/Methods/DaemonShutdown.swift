import JSON
import JSONRPC

/// `daemon.shutdown`: the daemon answers, then stops gracefully (requests in
/// flight are answered, the socket file is removed).
public enum DaemonShutdown: RPCMethod {
    public static let name = "daemon.shutdown"
    public typealias Parameters = NoParameters

    public struct Result: RPCResult, Equatable {
        /// Always true: the daemon is stopping.
        public var stopping: Bool

        public init(stopping: Bool = true) {
            self.stopping = stopping
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            stopping = try reader.required("stopping", try reader.boolean("stopping"))
        }

        public var result: JSON { ["stopping": .bool(stopping)] }
    }
}
