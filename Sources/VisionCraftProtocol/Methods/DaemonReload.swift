import JSON
import JSONRPC

/// `daemon.reload`: the daemon reads its configuration file again (as on
/// SIGHUP). The defaults of new jobs change at once; other keys at the next
/// start. A file with an error changes nothing and is reported as
/// `configuration_invalid` naming the line and the key.
public enum DaemonReload: RPCMethod {
    public static let name = "daemon.reload"
    public typealias Parameters = NoParameters

    public struct Result: RPCResult, Equatable {
        /// The file read.
        public var path: String
        /// Keys whose value changed (flags given at start still win).
        public var changed: [String]
        /// Those of `changed` that apply only after a restart.
        public var restartNeeded: [String]

        public init(path: String, changed: [String], restartNeeded: [String]) {
            self.path = path
            self.changed = changed
            self.restartNeeded = restartNeeded
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            path = try reader.required("path", try reader.string("path"))
            changed = try reader.required("changed", try reader.strings("changed"))
            restartNeeded = try reader.required("restart_needed", try reader.strings("restart_needed"))
        }

        public var result: JSON {
            ["path": .string(path), "changed": .array(changed.map(JSON.string)), "restart_needed": .array(restartNeeded.map(JSON.string))]
        }
    }
}
