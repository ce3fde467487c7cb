import JSON
import JSONRPC

/// The parameters of `key.status` and `key.clear`: whose key (each backend
/// has its own); nil, the default backend's.
package struct KeyBackendParameters: RPCParameters, Equatable {
    package var backend: String?

    package init(backend: String? = nil) {
        self.backend = backend
    }

    package init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            backend = try reader.string("backend", nonEmpty: true)
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    package var params: JSON? { backend.map { ["backend": .string($0)] } }
}
