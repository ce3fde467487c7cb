import JSONRPC

/// `plugins.reload`: load plugin files added since the start (loaded plugins
/// stay as they are: they are never unloaded), then list them all.
package enum PluginsReload: RPCMethod {
    package static let name = "plugins.reload"
    package typealias Parameters = NoParameters
    package typealias Result = PluginListResult
}
