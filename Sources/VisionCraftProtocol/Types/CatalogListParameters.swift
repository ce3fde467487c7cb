import JSON
import JSONRPC

/// The parameters of `models.list` and `samplers.list`.
package struct CatalogListParameters: RPCParameters, Equatable {
    /// Fetch the list from the upstream now instead of using the cached one.
    package var refresh: Bool

    package init(refresh: Bool = false) {
        self.refresh = refresh
    }

    package init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            refresh = try reader.boolean("refresh") ?? false
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    package var params: JSON? { refresh ? ["refresh": true] : nil }
}
