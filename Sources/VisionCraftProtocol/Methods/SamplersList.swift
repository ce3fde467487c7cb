import JSONRPC

/// `samplers.list`: the samplers the upstream offers (cached like the models).
public enum SamplersList: RPCMethod {
    public static let name = "samplers.list"
    public typealias Parameters = CatalogListParameters
    public typealias Result = CatalogListResult
}
