import JSONRPC

/// `rpc.discover`: the OpenRPC document describing every method
/// (`Protocol/openrpc.json`).
public enum RPCDiscover: RPCMethod {
    public static let name = "rpc.discover"
    public typealias Parameters = NoParameters
    public typealias Result = AnyResult
}
