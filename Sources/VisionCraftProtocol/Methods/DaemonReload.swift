import JSON
import JSONRPC

/// `daemon.reload`: the daemon reads its configuration file again (as on
/// SIGHUP). The defaults of new jobs change at once; other keys at the next
/// start. A file with an error changes nothing and is reported as
/// `configuration_invalid` naming the line and the key.
package enum DaemonReload: RPCMethod {
    package static let name = "daemon.reload"
    package typealias Parameters = NoParameters

    package struct Result: RPCResult, Equatable {
        /// The file read.
        package var path: String
        /// Keys whose value changed (flags given at start still win).
        package var changed: [String]
        /// Those of `changed` that apply only after a restart.
        package var restartNeeded: [String]

        package init(path: String, changed: [String], restartNeeded: [String]) {
            self.path = path
            self.changed = changed
            self.restartNeeded = restartNeeded
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            path = try reader.required("path", try reader.string("path"))
            changed = try reader.required("changed", try reader.strings("changed"))
            restartNeeded = try reader.required("restart_needed", try reader.strings("restart_needed"))
        }

        package var result: JSON {
            ["path": .string(path), "changed": .array(changed.map(JSON.string)), "restart_needed": .array(restartNeeded.map(JSON.string))]
        }
    }
}
