import JSON
import JSONRPC

/// `key.set`: store the API key (in a 0600 file) and resume a queue paused
/// on a rejected key. The key is never returned.
package enum KeySet: RPCMethod {
    package static let name = "key.set"

    package struct Parameters: RPCParameters, Equatable, CustomStringConvertible {
        package var key: String
        /// Whose key; nil: the default backend's.
        package var backend: String?

        package init(key: String, backend: String? = nil) {
            self.key = key
            self.backend = backend
        }

        package init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                key = try reader.required("key", try reader.string("key", nonEmpty: true))
                backend = try reader.string("backend", nonEmpty: true)
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        package var params: JSON? {
            var object: JSONObject = ["key": .string(key)]
            if let backend { object["backend"] = .string(backend) }
            return .object(object)
        }
        /// Never the key itself.
        package var description: String { "KeySet.Parameters(key: ***, backend: \(backend ?? "default"))" }
    }

    package typealias Result = KeyStatus.Result
}
