import Backends
import JSON
import JSONRPC
import JSONRPCServer
import Posix
import Scheduler
import VisionCraftProtocol

/// The handlers of the daemon's methods.
struct DaemonMethods: Sendable {
    /// When the daemon started, already formatted (RFC 3339): constant, and
    /// `daemon.status` is the hot path.
    let startedAt: String
    let startInstant: MonotonicInstant
    /// This process's id, read once: glibc asks the kernel on every
    /// `getpid()`, a system call in each `daemon.status`.
    let processID = Int(ProcessEnvironment.processID)
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
        let upstream = self.upstream
        table.register(ModelsList.self, .waiting) { parameters, _ in
            try await Self.catalog("models", parameters, upstream, \.models)
        }
        table.register(SamplersList.self, .waiting) { parameters, _ in
            try await Self.catalog("samplers", parameters, upstream, \.samplers)
        }
        let scheduler = queue.scheduler
        let keys = queue.keys
        // Counts the queue on the store's thread: off the event loop.
        table.register(BackendsList.self, .waiting) { _, _ in
            let queued = try await QueueMethods.storageMapped { try await scheduler.queuedByBackend() }
            let today = try await QueueMethods.storageMapped { try await scheduler.usage(from: WallClock.now().localDate) }
            return BackendsList.Result(backends: upstream.backends.map { running in
                BackendsList.Backend(
                    name: running.name, kind: running.kind.rawValue, url: running.summary.url, emulator: running.summary.emulator,
                    isDefault: running.name == upstream.defaultBackend.name, key: Self.keyState(running.name, keys: keys, needed: scheduler.needsKey(backend: running.name) != false),
                    queued: queued[running.name] ?? 0, running: scheduler.runningCount(in: running.name), maxInFlight: running.maximumInFlight,
                    requestsPerMinute: running.requestsPerMinute, imagesToday: today.first { $0.backend == running.name }?.images ?? 0,
                    dailyImages: running.caps.daily, monthlyImages: running.caps.monthly, health: Self.health(scheduler.health(ofBackend: running.name)?.snapshot() ?? UpstreamHealth.Snapshot())
                )
            })
        }
        // Sums the usage on the store's thread: off the event loop.
        table.register(UsageList.self, .waiting) { parameters, _ in
            // A backend no longer configured still has its history.
            if let name = parameters.backend, upstream.backend(named: name) == nil {
                let history = try await QueueMethods.storageMapped { try await scheduler.usage(from: "", backend: name) }
                if history.isEmpty {
                    throw RPCError.invalidParams(
                        field: "params.backend",
                        "no backend is named '\(name)', nor has one so named made anything (backends: \(upstream.backends.map(\.name).joined(separator: ", ")))"
                    )
                }
            }
            let now = WallClock.now().milliseconds
            let firstDay = WallClock(milliseconds: now - Int64(parameters.days - 1) * 86_400_000).localDate
            let days = try await QueueMethods.storageMapped { try await scheduler.usage(from: firstDay, backend: parameters.backend) }
            return UsageList.Result(days: days.map {
                UsageList.Day(
                    day: $0.day, backend: $0.backend, requests: $0.requests, images: $0.images, seconds: Double($0.milliseconds) / 1000, tokens: $0.tokens
                )
            })
        }
        queue.register(in: &table)
        plugins.register(in: &table)
        if enableTestMethods { TestMethods.register(in: &table) }
        return table
    }

    /// A list of the catalog of the backend `parameters` names, else the
    /// default's (kept by the backend; fetched again first when asked), or
    /// its failure as an RPC error.
    private static func catalog(
        _ member: String, _ parameters: CatalogListParameters, _ upstream: Upstream, _ list: KeyPath<BackendCatalog, [String]> & Sendable
    ) async throws(RPCError) -> CatalogListResult {
        var chosen = upstream.defaultBackend
        if let name = parameters.backend {
            guard let named = upstream.backend(named: name) else {
                throw RPCError.invalidParams(
                    field: "params.backend", "no backend is named '\(name)' (backends: \(upstream.backends.map(\.name).joined(separator: ", ")))"
                )
            }
            chosen = named
        }
        let backend = chosen.backend
        if parameters.refresh { backend.invalidateCatalog() }
        do throws(BackendFailure) {
            return CatalogListResult(member: member, names: try await backend.catalog()[keyPath: list])
        } catch {
            throw error.rpcError
        }
    }

    /// `set`, `missing` or `rejected`; `not_needed` for a backend that
    /// takes none and has none set.
    private static func keyState(_ name: String, keys: KeyRing, needed: Bool) -> String {
        let state = keys.vault(for: name)?.status().state ?? "missing"
        return !needed && state == "missing" ? "not_needed" : state
    }

    /// The default backend and how the jobs found it.
    private func upstreamWithHealth() -> DaemonStatus.Upstream {
        var summary = upstream.summary
        summary.health = Self.health(queue.scheduler.health.snapshot())
        return summary
    }

    /// A backend's health as the protocol shows it.
    private static func health(_ now: UpstreamHealth.Snapshot) -> DaemonStatus.Health {
        func time(_ milliseconds: Int64?) -> String? { milliseconds.map { WallClock(milliseconds: $0).iso8601 } }
        return DaemonStatus.Health(
            lastSuccessAt: time(now.lastSuccessAt), lastFailureAt: time(now.lastFailureAt), lastFailureKind: now.lastFailureKind,
            lastFailureMessage: now.lastFailureMessage, pausedUntil: time(now.pausedUntil), pauseReason: now.pauseReason,
            nextAttemptAt: time(now.nextAttemptAt)
        )
    }

    func status() -> DaemonStatus.Result {
        DaemonStatus.Result(
            version: VisionCraftVersion.current,
            pid: processID,
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
