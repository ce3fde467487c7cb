import JSONRPC

/// `plugins.list`: every plugin file found, loaded or with the reason it is not.
public enum PluginsList: RPCMethod {
    public static let name = "plugins.list"
    public typealias Parameters = NoParameters
    public typealias Result = PluginListResult
}
