import JSON
import JSONRPC
import JSONRPCServer
import Posix
import VisionCraftProtocol

/// The handlers of the daemon's methods.
struct DaemonMethods: Sendable {
    /// When the daemon started, already formatted (RFC 3339): constant, and
    /// `daemon.status` is the hot path.
    let startedAt: String
    let startInstant: MonotonicInstant
    let socketPath: String
    let connectionCount: @Sendable () -> Int
    let requestStop: @Sendable (Daemon.StopReason) -> Void
    let discoveryDocument: JSON
    let enableTestMethods: Bool

    /// Every method, registered. A test checks this list against
    /// `Protocol/openrpc.json` both ways.
    func table() -> RPCMethodTable {
        var table = RPCMethodTable()
        table.register(DaemonStatus.self) { _, _ in status() }
        table.register(DaemonShutdown.self) { _, context in
            requestStop(.request(connectionID: context.connectionID, peer: context.peer))
            return DaemonShutdown.Result(stopping: true)
        }
        table.register(RPCDiscover.self) { _, _ in AnyResult(discoveryDocument) }
        if enableTestMethods { TestMethods.register(in: &table) }
        return table
    }

    func status() -> DaemonStatus.Result {
        DaemonStatus.Result(
            version: VisionCraftVersion.current,
            pid: Int(ProcessEnvironment.processID),
            uptimeSeconds: startInstant.elapsed.seconds,
            startedAt: startedAt,
            socket: socketPath,
            connections: connectionCount()
        )
    }
}
