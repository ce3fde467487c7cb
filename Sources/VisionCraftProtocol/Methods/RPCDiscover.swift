import JSONRPC

/// `rpc.discover`: the OpenRPC document describing every method
/// (`Protocol/openrpc.json`).
package enum RPCDiscover: RPCMethod {
    package static let name = "rpc.discover"
    package typealias Parameters = NoParameters
    package typealias Result = AnyResult
}
