import JSON
import JSONRPC

/// `daemon.status`: what the daemon is and how it is doing.
public enum DaemonStatus: RPCMethod {
    public static let name = "daemon.status"
    public typealias Parameters = NoParameters

    /// Where the daemon sends its generations.
    public struct Upstream: Sendable, Equatable {
        /// The base URL (for the embedded emulator, its loopback address).
        public var url: String
        /// True when it is the emulator embedded in the daemon (`--upstream emulator`).
        public var emulator: Bool

        public init(url: String, emulator: Bool) {
            self.url = url
            self.emulator = emulator
        }

        var json: JSON { ["url": .string(url), "emulator": .bool(emulator)] }

        init(json: JSON) throws(FieldError) {
            var reader = try FieldReader(json, path: "result.upstream")
            url = try reader.required("url", try reader.string("url"))
            emulator = try reader.required("emulator", try reader.boolean("emulator"))
        }
    }

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
        /// The upstream (absent from older daemons).
        public var upstream: Upstream?
        /// The service manager that owns the socket ("systemd", "launchd"):
        /// it starts the daemon again at the next connection after a stop.
        /// Nil for a daemon that bound its socket itself.
        public var serviceManager: String?
        /// The configuration file the daemon read (nil: none).
        public var configPath: String?

        public init(
            version: String, pid: Int, uptimeSeconds: Double, startedAt: String, socket: String, connections: Int, upstream: Upstream?,
            serviceManager: String? = nil, configPath: String? = nil
        ) {
            self.version = version
            self.pid = pid
            self.uptimeSeconds = uptimeSeconds
            self.startedAt = startedAt
            self.socket = socket
            self.connections = connections
            self.upstream = upstream
            self.serviceManager = serviceManager
            self.configPath = configPath
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            version = try reader.required("version", try reader.string("version"))
            pid = try reader.required("pid", try reader.integer("pid"))
            uptimeSeconds = try reader.required("uptime_seconds", try reader.number("uptime_seconds"))
            startedAt = try reader.required("started_at", try reader.string("started_at"))
            socket = try reader.required("socket", try reader.string("socket"))
            connections = try reader.required("connections", try reader.integer("connections"))
            upstream = try reader.value("upstream").map { (json) throws(FieldError) in try Upstream(json: json) }
            serviceManager = try reader.string("service_manager")
            configPath = try reader.string("config")
            // Newer daemons may add fields: a client reads what it knows.
        }

        public var result: JSON {
            var object: JSONObject = [
                "version": .string(version),
                "pid": .number(JSONNumber(pid)),
                "uptime_seconds": .number(JSONNumber((uptimeSeconds * 1000).rounded() / 1000) ?? JSONNumber(0)),
                "started_at": .string(startedAt),
                "socket": .string(socket),
                "connections": .number(JSONNumber(connections)),
            ]
            if let upstream { object["upstream"] = upstream.json }
            object["service_manager"] = serviceManager.map(JSON.string) ?? .null
            object["config"] = configPath.map(JSON.string) ?? .null
            return .object(object)
        }
    }
}
