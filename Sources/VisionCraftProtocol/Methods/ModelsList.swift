import JSONRPC

/// `models.list`: the models the upstream offers (cached by the daemon;
/// `refresh` fetches them again).
package enum ModelsList: RPCMethod {
    package static let name = "models.list"
    package typealias Parameters = CatalogListParameters
    package typealias Result = CatalogListResult
}
