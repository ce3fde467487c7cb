import Jobs
import JSON
import JSONRPC

/// `daemon.status`: what the daemon is and how it is doing.
package enum DaemonStatus: RPCMethod {
    package static let name = "daemon.status"
    package typealias Parameters = NoParameters

    /// Where the daemon sends its generations.
    package struct Upstream: Sendable, Equatable {
        /// The base URL (for the embedded emulator, its loopback address).
        package var url: String
        /// True when it is the emulator embedded in the daemon (`--upstream emulator`).
        package var emulator: Bool
        /// How its requests have gone since the daemon started (absent
        /// from older daemons).
        package var health: Health?

        package init(url: String, emulator: Bool, health: Health? = nil) {
            self.url = url
            self.emulator = emulator
            self.health = health
        }

        var json: JSON {
            var object: JSONObject = ["url": .string(url), "emulator": .bool(emulator)]
            if let health { object["health"] = health.json }
            return .object(object)
        }

        init(json: JSON) throws(FieldError) {
            var reader = try FieldReader(json, path: "result.upstream")
            url = try reader.required("url", try reader.string("url"))
            emulator = try reader.required("emulator", try reader.boolean("emulator"))
            health = try reader.value("health").map { (json) throws(FieldError) in try Health(json: json) }
        }
    }

    /// The upstream's health as the jobs found it. Times are RFC 3339 (UTC);
    /// each is null when nothing of the kind happened since the start.
    package struct Health: Sendable, Equatable {
        /// The last generation it answered.
        package var lastSuccessAt: String?
        /// The last request that failed.
        package var lastFailureAt: String?
        /// Its failure kind.
        package var lastFailureKind: FailureKind?
        /// Its message.
        package var lastFailureMessage: String?
        /// No generation starts before this (a rate limit in force).
        package var pausedUntil: String?
        /// Why it is paused.
        package var pauseReason: String?
        /// When the soonest job waiting to try again is due.
        package var nextAttemptAt: String?

        package init(
            lastSuccessAt: String? = nil, lastFailureAt: String? = nil, lastFailureKind: FailureKind? = nil, lastFailureMessage: String? = nil,
            pausedUntil: String? = nil, pauseReason: String? = nil, nextAttemptAt: String? = nil
        ) {
            self.lastSuccessAt = lastSuccessAt
            self.lastFailureAt = lastFailureAt
            self.lastFailureKind = lastFailureKind
            self.lastFailureMessage = lastFailureMessage
            self.pausedUntil = pausedUntil
            self.pauseReason = pauseReason
            self.nextAttemptAt = nextAttemptAt
        }

        var json: JSON {
            let failure: JSON = lastFailureAt.map { at in
                ["at": .string(at), "kind": lastFailureKind.map { .string($0.rawValue) } ?? .null, "message": .string(lastFailureMessage ?? "")]
            } ?? .null
            let pause: JSON = pausedUntil.map { until in ["until": .string(until), "reason": .string(pauseReason ?? "")] } ?? .null
            return [
                "last_success_at": lastSuccessAt.map(JSON.string) ?? .null,
                "last_failure": failure,
                "pause": pause,
                "next_attempt_at": nextAttemptAt.map(JSON.string) ?? .null,
            ]
        }

        init(json: JSON) throws(FieldError) {
            var reader = try FieldReader(json, path: "result.upstream.health")
            lastSuccessAt = try reader.string("last_success_at")
            if let failure = reader.value("last_failure"), failure != .null {
                var inner = try FieldReader(failure, path: "result.upstream.health.last_failure")
                lastFailureAt = try inner.required("at", try inner.string("at"))
                lastFailureKind = try inner.required("kind", try inner.enumeration("kind", FailureKind.self))
                lastFailureMessage = try inner.required("message", try inner.string("message"))
            }
            if let pause = reader.value("pause"), pause != .null {
                var inner = try FieldReader(pause, path: "result.upstream.health.pause")
                pausedUntil = try inner.required("until", try inner.string("until"))
                pauseReason = try inner.required("reason", try inner.string("reason"))
            }
            nextAttemptAt = try reader.string("next_attempt_at")
        }
    }

    package struct Result: RPCResult, Equatable {
        /// The daemon's version.
        package var version: String
        /// Its process id.
        package var pid: Int
        /// Seconds since it started.
        package var uptimeSeconds: Double
        /// When it started (RFC 3339, UTC).
        package var startedAt: String
        /// The socket it serves.
        package var socket: String
        /// Open client connections, this one included.
        package var connections: Int
        /// The upstream (absent from older daemons).
        package var upstream: Upstream?
        /// The service manager that owns the socket ("systemd", "launchd"):
        /// it starts the daemon again at the next connection after a stop.
        /// Nil for a daemon that bound its socket itself.
        package var serviceManager: String?
        /// The configuration file the daemon read (nil: none).
        package var configPath: String?

        package init(
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

        package init(result: JSON) throws(FieldError) {
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

        package var result: JSON {
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
