import JSON
import JSONRPC

/// `daemon.shutdown`: the daemon answers, then stops gracefully (requests in
/// flight are answered, the socket file is removed).
package enum DaemonShutdown: RPCMethod {
    package static let name = "daemon.shutdown"
    package typealias Parameters = NoParameters

    package struct Result: RPCResult, Equatable {
        /// Always true: the daemon is stopping.
        package var stopping: Bool

        package init(stopping: Bool = true) {
            self.stopping = stopping
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            stopping = try reader.required("stopping", try reader.boolean("stopping"))
        }

        package var result: JSON { ["stopping": .bool(stopping)] }
    }
}
