import JSONRPC

/// `plugins.reload`: load plugin files added since the start (loaded plugins
/// stay as they are: they are never unloaded), then list them all.
public enum PluginsReload: RPCMethod {
    public static let name = "plugins.reload"
    public typealias Parameters = NoParameters
    public typealias Result = PluginListResult
}
