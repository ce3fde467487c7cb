import JSON
import JSONRPC

/// The parameters of `models.list` and `samplers.list`.
public struct CatalogListParameters: RPCParameters, Equatable {
    /// Fetch the list from the upstream now instead of using the cached one.
    public var refresh: Bool

    public init(refresh: Bool = false) {
        self.refresh = refresh
    }

    public init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            refresh = try reader.boolean("refresh") ?? false
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    public var params: JSON? { refresh ? ["refresh": true] : nil }
}
