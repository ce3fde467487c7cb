import JSONRPC

/// `models.list`: the models the upstream offers (cached by the daemon;
/// `refresh` fetches them again).
public enum ModelsList: RPCMethod {
    public static let name = "models.list"
    public typealias Parameters = CatalogListParameters
    public typealias Result = CatalogListResult
}
