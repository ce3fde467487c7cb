import JSON
import JSONRPC

/// `plugins.enable`: turn a plugin disabled after a crash back on.
public enum PluginsEnable: RPCMethod {
    public static let name = "plugins.enable"

    public struct Parameters: RPCParameters, Equatable {
        public var name: String

        public init(name: String) {
            self.name = name
        }

        public init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                name = try reader.required("name", try reader.string("name", nonEmpty: true))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        public var params: JSON? { ["name": .string(name)] }
    }

    public typealias Result = PluginListResult
}
