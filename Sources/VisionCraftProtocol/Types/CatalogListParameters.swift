import JSON
import JSONRPC

/// The parameters of `models.list` and `samplers.list`.
package struct CatalogListParameters: RPCParameters, Equatable {
    /// Fetch the list from the backend now instead of using the cached one.
    package var refresh: Bool
    /// Whose list; nil: the default backend's.
    package var backend: String?

    package init(refresh: Bool = false, backend: String? = nil) {
        self.refresh = refresh
        self.backend = backend
    }

    package init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            refresh = try reader.boolean("refresh") ?? false
            backend = try reader.string("backend", nonEmpty: true)
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    package var params: JSON? {
        var object: JSONObject = [:]
        if refresh { object["refresh"] = true }
        if let backend { object["backend"] = .string(backend) }
        return object.isEmpty ? nil : .object(object)
    }
}
