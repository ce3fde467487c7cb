import JSONRPC

/// Every method of the daemon's protocol, for checks that the server, the
/// documents and the clients agree.
package enum MethodCatalog {
    /// The methods' wire names, sorted.
    package static let names: [String] = [
        BackendsList.name,
        DaemonReload.name,
        DaemonShutdown.name,
        DaemonStatus.name,
        EventsSubscribe.name,
        EventsUnsubscribe.name,
        JobCancel.name,
        JobDelete.name,
        JobGet.name,
        JobList.name,
        JobRetry.name,
        JobSubmit.name,
        JobWait.name,
        KeyClear.name,
        KeySet.name,
        KeyStatus.name,
        PluginsEnable.name,
        PluginsList.name,
        PluginsReload.name,
        ModelsList.name,
        SamplersList.name,
        UsageList.name,
        RPCDiscover.name,
    ].sorted()
}
