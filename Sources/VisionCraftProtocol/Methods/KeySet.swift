import JSON
import JSONRPC

/// `key.set`: store the API key (in a 0600 file) and resume a queue paused
/// on a rejected key. The key is never returned.
public enum KeySet: RPCMethod {
    public static let name = "key.set"

    public struct Parameters: RPCParameters, Equatable, CustomStringConvertible {
        public var key: String

        public init(key: String) {
            self.key = key
        }

        public init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                key = try reader.required("key", try reader.string("key", nonEmpty: true))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        public var params: JSON? { ["key": .string(key)] }
        /// Never the key itself.
        public var description: String { "KeySet.Parameters(key: ***)" }
    }

    public typealias Result = KeyStatus.Result
}
