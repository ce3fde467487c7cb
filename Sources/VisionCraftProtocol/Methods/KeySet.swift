import JSON
import JSONRPC

/// `key.set`: store the API key (in a 0600 file) and resume a queue paused
/// on a rejected key. The key is never returned.
package enum KeySet: RPCMethod {
    package static let name = "key.set"

    package struct Parameters: RPCParameters, Equatable, CustomStringConvertible {
        package var key: String

        package init(key: String) {
            self.key = key
        }

        package init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                key = try reader.required("key", try reader.string("key", nonEmpty: true))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        package var params: JSON? { ["key": .string(key)] }
        /// Never the key itself.
        package var description: String { "KeySet.Parameters(key: ***)" }
    }

    package typealias Result = KeyStatus.Result
}
