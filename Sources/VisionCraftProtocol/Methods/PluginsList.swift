import JSONRPC

/// `plugins.list`: every plugin file found, loaded or with the reason it is not.
package enum PluginsList: RPCMethod {
    package static let name = "plugins.list"
    package typealias Parameters = NoParameters
    package typealias Result = PluginListResult
}
