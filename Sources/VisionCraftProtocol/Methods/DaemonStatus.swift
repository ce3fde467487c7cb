import JSON
import JSONRPC

/// `daemon.status`: what the daemon is and how it is doing.
public enum DaemonStatus: RPCMethod {
    public static let name = "daemon.status"
    public typealias Parameters = NoParameters

    public struct Result: RPCResult, Equatable {
        /// The daemon's version.
        public var version: String
        /// Its process id.
        public var pid: Int
        /// Seconds since it started.
        public var uptimeSeconds: Double
        /// When it started (RFC 3339, UTC).
        public var startedAt: String
        /// The socket it serves.
        public var socket: String
        /// Open client connections, this one included.
        public var connections: Int

        public init(version: String, pid: Int, uptimeSeconds: Double, startedAt: String, socket: String, connections: Int) {
            self.version = version
            self.pid = pid
            self.uptimeSeconds = uptimeSeconds
            self.startedAt = startedAt
            self.socket = socket
            self.connections = connections
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            version = try reader.required("version", try reader.string("version"))
            pid = try reader.required("pid", try reader.integer("pid"))
            uptimeSeconds = try reader.required("uptime_seconds", try reader.number("uptime_seconds"))
            startedAt = try reader.required("started_at", try reader.string("started_at"))
            socket = try reader.required("socket", try reader.string("socket"))
            connections = try reader.required("connections", try reader.integer("connections"))
            // Newer daemons may add fields: a client reads what it knows.
        }

        public var result: JSON {
            [
                "version": .string(version),
                "pid": .number(JSONNumber(pid)),
                "uptime_seconds": .number(JSONNumber((uptimeSeconds * 1000).rounded() / 1000) ?? JSONNumber(0)),
                "started_at": .string(startedAt),
                "socket": .string(socket),
                "connections": .number(JSONNumber(connections)),
            ]
        }
    }
}
