import JSON
import JSONRPC

/// `plugins.enable`: turn a plugin disabled after a crash back on.
package enum PluginsEnable: RPCMethod {
    package static let name = "plugins.enable"

    package struct Parameters: RPCParameters, Equatable {
        package var name: String

        package init(name: String) {
            self.name = name
        }

        package init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                name = try reader.required("name", try reader.string("name", nonEmpty: true))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        package var params: JSON? { ["name": .string(name)] }
    }

    package typealias Result = PluginListResult
}
