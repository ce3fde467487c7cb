import JSONRPC

/// `samplers.list`: the samplers the upstream offers (cached like the models).
package enum SamplersList: RPCMethod {
    package static let name = "samplers.list"
    package typealias Parameters = CatalogListParameters
    package typealias Result = CatalogListResult
}
