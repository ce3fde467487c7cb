import Backends
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
    /// The service manager that passed the socket, if one did.
    let serviceManager: String?
    /// The configuration file read at start (nil: none).
    let configPath: String?
    let connectionCount: @Sendable () -> Int
    let requestStop: @Sendable (Daemon.StopReason) -> Void
    let reload: @Sendable () throws(DaemonError) -> ReloadReport
    let discoveryDocument: JSON
    let upstream: Upstream
    let queue: QueueMethods
    let plugins: PluginMethods
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
        // Reads the configuration file (and checks the socket file): on a
        // thread of its own, off the event loop and the task pool.
        table.register(DaemonReload.self, .waiting) { _, _ in
            try await onOwnThread(name: "vc-reload") { () throws -> DaemonReload.Result in
                do {
                    let report = try reload()
                    return DaemonReload.Result(path: report.path, changed: report.changed, restartNeeded: report.restartNeeded)
                } catch {
                    throw ApplicationError.configurationInvalid("\(error)")
                }
            }
        }
        table.register(RPCDiscover.self) { _, _ in AnyResult(discoveryDocument) }
        let backend = upstream.backend
        table.register(ModelsList.self, .waiting) { parameters, _ in
            try await Self.catalog("models", refresh: parameters.refresh, backend, \.models)
        }
        table.register(SamplersList.self, .waiting) { parameters, _ in
            try await Self.catalog("samplers", refresh: parameters.refresh, backend, \.samplers)
        }
        queue.register(in: &table)
        plugins.register(in: &table)
        if enableTestMethods { TestMethods.register(in: &table) }
        return table
    }

    /// A list of the backend's catalog (kept by the backend; fetched again
    /// first when asked), or its failure as an RPC error.
    private static func catalog(
        _ member: String, refresh: Bool, _ backend: any ImageBackend, _ list: KeyPath<BackendCatalog, [String]> & Sendable
    ) async throws(RPCError) -> CatalogListResult {
        if refresh { backend.invalidateCatalog() }
        do throws(BackendFailure) {
            return CatalogListResult(member: member, names: try await backend.catalog()[keyPath: list])
        } catch {
            throw error.rpcError
        }
    }

    /// The upstream and how the jobs found it.
    private func upstreamWithHealth() -> DaemonStatus.Upstream {
        let now = queue.scheduler.health.snapshot()
        func time(_ milliseconds: Int64?) -> String? { milliseconds.map { WallClock(milliseconds: $0).iso8601 } }
        var summary = upstream.summary
        summary.health = DaemonStatus.Health(
            lastSuccessAt: time(now.lastSuccessAt), lastFailureAt: time(now.lastFailureAt), lastFailureKind: now.lastFailureKind,
            lastFailureMessage: now.lastFailureMessage, pausedUntil: time(now.pausedUntil), pauseReason: now.pauseReason,
            nextAttemptAt: time(now.nextAttemptAt)
        )
        return summary
    }

    func status() -> DaemonStatus.Result {
        DaemonStatus.Result(
            version: VisionCraftVersion.current,
            pid: Int(ProcessEnvironment.processID),
            uptimeSeconds: startInstant.elapsed.seconds,
            startedAt: startedAt,
            socket: socketPath,
            connections: connectionCount(),
            upstream: upstreamWithHealth(),
            serviceManager: serviceManager,
            configPath: configPath
        )
    }
}
