import CommandLineKit
import Configuration
import JSON
import PluginHost
import JSONRPC
import JSONRPCServer
import Posix
import Scheduler
import StreamServer
import VisionCraftProtocol

/// The daemon's lifecycle: own the socket, serve until asked to stop, stop
/// gracefully.
///
/// `run()` blocks the calling thread (the process's main thread in
/// `visioncraftd`; a thread of its own in tests). Signals are the caller's
/// business: `VisionCraftDaemonCommand` turns SIGTERM and SIGINT into
/// `requestStop`.
public final class Daemon: Sendable {
    /// Why the daemon stops.
    public enum StopReason: Sendable, Equatable, CustomStringConvertible {
        case signal(Signal)
        case request(connectionID: UInt64, peer: PeerCredentials?)

        public var description: String {
            switch self {
            case .signal(let signal): "received \(signal)"
            case .request(let id, let peer): "daemon.shutdown from connection \(id)" + (peer.map { " (\($0))" } ?? "")
            }
        }
    }

    /// Where the daemon is in its life, for tests and the entry point.
    public enum Phase: Sendable, Equatable {
        case starting, serving, stopping, stopped
    }

    package let options: DaemonOptions
    package let log: Logger
    private let environment: Environment
    /// What the main thread waits for in `run()`: a stop, or a request to
    /// check the socket file now.
    private let control = ThreadCondition(Control())
    private let phase = ThreadCondition<Phase>(.starting)
    private let socket = Lock<DaemonSocket?>(nil)
    /// The options in force: `options` after the reloads so far.
    private let current: Lock<DaemonOptions>
    /// The running scheduler, for reloads.
    private let scheduler = Lock<JobScheduler?>(nil)

    /// How often the main thread checks that the socket file is still the
    /// one served (one `lstat`).
    static let socketCheckInterval: Duration = .seconds(1)

    private struct Control {
        var stopReason: StopReason?
        var socketCheckRequested = false
    }

    public init(options: DaemonOptions, environment: Environment, log: Logger) {
        self.options = options
        current = Lock(options)
        self.environment = environment
        self.log = log
    }

    /// Serves until `requestStop`, then stops gracefully.
    ///
    /// - Returns: the process exit status (success after a graceful stop).
    public func run() -> ExitCode {
        // A client's large replies (job.list pages of megabytes) must not
        // stay with the process once they are sent.
        FreeMemory.limitWhatArenasKeep()
        var services = ServiceStack()
        defer {
            services.stopAll(log: log)
            phase.update { $0 = .stopped }
        }
        let running: Running
        do {
            running = try start(&services)
        } catch {
            log.error(error.message)
            return error.exitCode
        }
        log.info("visioncraftd \(VisionCraftVersion.current) listening on \(running.socket.path) (\(running.socket.origin == .activated ? "socket activation" : "bound"), pid \(getpid()))")
        phase.update { $0 = .serving }
        signalReady()

        let reason = serve(running.server, socket: running.socket, stateLock: running.stateLock)
        log.info("stopping: \(reason)")
        phase.update { $0 = .stopping }
        // job.wait callers are answered now (timed_out) instead of holding the stop.
        running.scheduler.events.releaseWaiters()
        if !running.server.drain(timeout: options.shutdownTimeout, notAccepting: running.socket.stopListening) {
            log.warning("\(running.server.connectionCount) connection(s) still busy after \(options.shutdownTimeout.seconds) s; closing them")
        }
        services.stopAll(log: log)
        log.info("stopped")
        return .success
    }

    /// What `start` brought up and `serve` works with.
    private struct Running {
        let socket: DaemonSocket
        let stateLock: StateFolderLock
        let scheduler: JobScheduler
        let server: RPCServer
    }

    /// Brings the daemon up in order: the socket, the folders and their
    /// lock, the upstream, the plugins, the queue, the server. Each part is
    /// on `services` once it is up, so a failure stops what came before.
    private func start(_ services: inout ServiceStack) throws(DaemonError) -> Running {
        let startInstant = MonotonicInstant.now()
        let startedAt = WallClock.now()
        let socket = try openSocket()
        self.socket.withLock { $0 = socket }
        services.started("the socket") { [self] in
            socket.close()
            self.socket.withLock { $0 = nil }
        }

        let document: JSON
        do {
            document = try ProtocolDocuments.openRPC()
        } catch {
            throw DaemonError(.software, "the embedded Protocol/openrpc.json is not valid JSON (\(error)); this build is broken")
        }

        let (paths, backends) = try resolveSettings()
        do {
            try FileSystem.makeDirectories(paths.stateDirectory, permissions: 0o700)
        } catch {
            throw DaemonError(.configuration, "\(error)")
        }
        // Before anything in the folder is touched (the emulator's port
        // file, the plugin journal, the job database).
        let stateLock = try StateFolderLock.acquire(folder: paths.stateDirectory, socketPath: socket.path, log: log)
        services.started("the state folder's lock") { stateLock.release() }
        // Every path is absolute by now (the socket's was resolved against
        // the start folder). The start folder is not kept busy, and a core,
        // when allowed, lands in the state folder.
        let workingFolder = options.allowCoreDumps ? paths.stateDirectory : "/"
        do {
            try ProcessEnvironment.changeWorkingDirectory(workingFolder)
        } catch {
            throw DaemonError(.configuration, "cannot work from \(workingFolder): \(error)")
        }

        if !options.settings.backends.isEmpty, let named = environment[Settings.upstreamEnvironment], !named.isEmpty {
            log.warning("\(Settings.upstreamEnvironment) (\(named)) is not used: the configuration names backends, each with its url")
        }
        let keys = KeyRing(
            // Only VisionCraft's emulator takes any key; AUTOMATIC1111's takes none.
            backends: backends.plans.map { ($0.name, $0.selection == .emulator && $0.kind == .visioncraft) }, defaultBackend: backends.defaultName, keyFile: paths.keyFile,
            environment: { self.environment[$0] }, log: log
        )
        let upstream = try Upstream.start(
            backends.plans, defaultName: backends.defaultName, options: options, keys: keys, log: log, emulatorPortFile: paths.emulatorPortFile
        )
        services.started("the upstream") { upstream.stop() }
        let plugins = loadPlugins(paths)
        let queue = try JobQueue.start(
            paths: paths, options: options, upstream: upstream, keys: keys, plugins: plugins, log: log
        )
        scheduler.withLock { $0 = queue.scheduler }
        services.started("the queue") { [self] in
            queue.stop()
            scheduler.withLock { $0 = nil }
        }

        let serverBox = Lock<RPCServer?>(nil)
        let methods = DaemonMethods(
            startedAt: startedAt.iso8601,
            startInstant: startInstant,
            socketPath: socket.path,
            serviceManager: socket.serviceManager,
            configPath: options.configPath,
            connectionCount: { serverBox.withLock { $0?.connectionCount ?? 0 } },
            requestStop: { [self] reason in requestStop(reason) },
            reload: { [self] () throws(DaemonError) in try reload() },
            discoveryDocument: document,
            upstream: upstream,
            queue: QueueMethods(scheduler: queue.scheduler, keys: queue.keys, subscriptions: queue.subscriptions),
            plugins: PluginMethods(registry: plugins),
            enableTestMethods: options.enableTestMethods
        )
        let server = try startServer(on: socket, methods: methods)
        serverBox.withLock { $0 = server }
        services.started("the server") { server.stop() }
        return Running(socket: socket, stateLock: stateLock, scheduler: queue.scheduler, server: server)
    }

    /// The plugins found in the folders, loaded, with a journal of crashes.
    private func loadPlugins(_ paths: DaemonPaths) -> PluginRegistry {
        let plugins = PluginRegistry(folders: pluginFolders(paths), stateFolder: paths.stateDirectory) { _ in "{}" } log: { [log] level, line in
            switch level {
            case 3: log.error(line)
            case 2: log.warning(line)
            case 1: log.info(line)
            default: log.debug(line)
            }
        }
        do {
            try plugins.recordCrashes()
        } catch {
            log.warning("cannot record crashes for the plugin journal (\(error)): after any unclean stop, the plugins that were running stay enabled")
        }
        for entry in plugins.reload() {
            if let plugin = entry.plugin {
                log.info("plugin \(plugin.name) \(plugin.version) loaded from \(entry.path)")
            } else {
                log.warning("plugin file \(entry.path) not loaded: \(entry.error ?? "")")
            }
        }
        return plugins
    }

    /// The JSON-RPC server on `socket`, admitting only the owner (and root).
    private func startServer(on socket: DaemonSocket, methods: DaemonMethods) throws(DaemonError) -> RPCServer {
        let log = self.log
        let dispatcher = RPCDispatcher(methods: methods.table()) { method, error in
            log.error("\(method) failed: \(error)")
        }
        let owner = getuid()
        do {
            let server = try RPCServer(
                listening: socket.descriptor,
                dispatcher: dispatcher,
                configuration: .init(maximumMessageBytes: options.maximumMessageBytes),
                log: { log.warning($0) },
                admit: { id, peer in
                    guard let peer else {
                        log.warning("refused connection \(id): its peer credentials cannot be read")
                        return false
                    }
                    guard peer.isTrusted(by: owner) else {
                        log.warning("refused connection \(id) from \(peer): only uid \(owner) and root may use this daemon")
                        return false
                    }
                    log.debug("connection \(id) from \(peer)")
                    return true
                }
            )
            try server.start()
            return server
        } catch {
            throw DaemonError(.system, "cannot serve \(socket.path): \(error)")
        }
    }

    /// Asks the daemon to stop gracefully. Safe from any thread.
    ///
    /// - Returns: true if a stop was already under way.
    @discardableResult
    public func requestStop(_ reason: StopReason) -> Bool {
        control.update { current in
            if current.stopReason != nil { return true }
            current.stopReason = reason
            return false
        }
    }

    /// Has the main thread check the socket file at once, instead of within
    /// a second (SIGHUP and `daemon.reload` do). Safe from any thread.
    package func checkSocketNow() {
        control.update { $0.socketCheckRequested = true }
    }

    /// Removes the socket file (if ours) and ends the process at once: for a
    /// second SIGINT/SIGTERM while a graceful stop is under way.
    package func forceExit() -> Never {
        log.warning("stopping at once (second signal)")
        socket.withLock { $0?.removeFileIfOurs() }
        _exit(1)
    }

    /// Blocks until the daemon reaches `phase` or later, or `timeout` passes.
    @discardableResult
    public func wait(for target: Phase, timeout: Duration? = nil) -> Bool {
        phase.wait(timeout: timeout) { current in
            switch (target, current) {
            case (.starting, _): true
            case (.serving, .serving), (.serving, .stopping), (.serving, .stopped): true
            case (.stopping, .stopping), (.stopping, .stopped): true
            case (.stopped, .stopped): true
            default: false
            }
        }
    }

    // MARK: Private

    /// The main thread while the daemon serves: waits for a stop, checking
    /// the socket file every second (or when asked) and listening on the
    /// path again if the file was removed.
    ///
    /// - Returns: why the daemon stops.
    private func serve(_ server: RPCServer, socket: DaemonSocket, stateLock: StateFolderLock) -> StopReason {
        var watch = SocketWatch(socket: socket, log: log)
        var stateLockProblem: String?
        while true {
            control.wait(timeout: Self.socketCheckInterval) { $0.stopReason != nil || $0.socketCheckRequested }
            let reason = control.update { current in
                current.socketCheckRequested = false
                return current.stopReason
            }
            if let reason { return reason }
            watch.check { descriptor throws(SystemError) in try server.replaceListener(with: descriptor) }
            do {
                try stateLock.lockAgainIfRemoved(log: log)
                stateLockProblem = nil
            } catch {
                // Once per distinct problem, not every second.
                if stateLockProblem != error.message { log.error(error.message) }
                stateLockProblem = error.message
            }
        }
    }

    private func openSocket() throws(DaemonError) -> DaemonSocket {
        if let activated = try DaemonSocket.activated(environment: environment, log: log) {
            return activated
        }
        if let activated = try DaemonSocket.launchdActivated(log: log) {
            return activated
        }
        let location = SocketLocation.resolve(
            flag: options.socketPath,
            environment: { self.environment[$0] },
            userID: UInt32(getuid()),
            workingDirectory: ProcessEnvironment.workingDirectory()
        )
        return try DaemonSocket.bind(location, log: log)
    }

    /// Where plugins are looked for: the user's folder, `--plugin-dir`s, the
    /// installed plugins (`PREFIX/lib/visioncraft/plugins` beside
    /// `PREFIX/bin/visioncraftd`: Integrations/install.sh), and the binary's
    /// own folder (only `libvisioncraft-*` files there: a build folder).
    private func pluginFolders(_ paths: DaemonPaths) -> [PluginRegistry.Folder] {
        var folders = [PluginRegistry.Folder(path: paths.pluginDirectory)]
        folders += (options.pluginFolders + options.settings.pluginFolders).map { PluginRegistry.Folder(path: $0) }
        if let binary = ProcessEnvironment.executablePath() {
            let binaries = FileSystem.parentDirectory(of: binary)
            let installed = FileSystem.parentDirectory(of: binaries) + "/lib/visioncraft/plugins"
            if (try? FileSystem.status(installed))??.kind == .directory { folders.append(PluginRegistry.Folder(path: installed, prefix: "libvisioncraft-")) }
            folders.append(PluginRegistry.Folder(path: binaries, prefix: "libvisioncraft-"))
        }
        return folders
    }

    /// Reads the configuration file again (SIGHUP, `daemon.reload`) and
    /// applies what can change while the daemon runs: the defaults of new
    /// jobs. A file with an error changes nothing. Also has the socket file
    /// checked at once (see `checkSocketNow`), with or without a file.
    ///
    /// - Returns: the keys that changed, and those of them that take effect
    ///   only after a restart.
    /// - Throws: `DaemonError` naming the line and the key that are wrong.
    @discardableResult
    package func reload() throws(DaemonError) -> ReloadReport {
        // A user who reloads may be trying to bring a lost socket back.
        checkSocketNow()
        guard let path = options.configPath else {
            throw DaemonError(.configuration, "this daemon was started without a configuration file (see --config)")
        }
        let settings: Settings
        do {
            settings = try SettingsFile.load(path)
        } catch {
            log.error("reload: \(error); the configuration in use is unchanged")
            throw DaemonError(.configuration, "\(error.description); the configuration in use is unchanged")
        }
        do {
            try BackendPlan.checkWorkflows(settings)
        } catch {
            log.error("reload: \(error.message); the configuration in use is unchanged")
            throw DaemonError(.configuration, "\(error.message); the configuration in use is unchanged")
        }
        let (old, new) = current.withLock { current in
            let old = current
            current = current.layered(over: settings)
            return (old, current)
        }
        let paths = try DaemonPaths.resolve(options: new) { self.environment[$0] }
        scheduler.withLock { $0 }?.updateDefaults(new.jobDefaults(outputDirectory: paths.outputDirectory))
        let report = ReloadReport(
            path: path, changed: old.changedKeys(comparedWith: new), restartNeeded: old.keysNeedingRestart(comparedWith: new)
        )
        log.info("reloaded \(path): " + (report.changed.isEmpty ? "nothing changed" : "changed \(report.changed.joined(separator: ", "))")
            + (report.restartNeeded.isEmpty ? "" : "; restart to apply \(report.restartNeeded.joined(separator: ", "))"))
        return report
    }

    /// What the options, the configuration file and the environment resolve
    /// to: the folders and the backends. What `run` does first, and all that
    /// `visioncraftd --check-config` does (`vcctl daemon restart` runs it
    /// before it stops a working daemon).
    ///
    /// - Throws: `DaemonError` (`.configuration`) saying what is wrong.
    func resolveSettings() throws(DaemonError) -> (DaemonPaths, (plans: [BackendPlan], defaultName: String)) {
        let paths = try DaemonPaths.resolve(options: options) { self.environment[$0] }
        let backends = try BackendPlan.resolve(
            options.settings, upstreamFlag: options.upstream, configuredUpstream: options.configuredUpstream
        ) { self.environment[$0] }
        return (paths, backends)
    }

    /// Checks what `run` would resolve first (`resolveSettings`), without
    /// binding anything or touching a file.
    package func checkSettings() throws(DaemonError) {
        _ = try resolveSettings()
    }

    /// Writes a newline to the ready descriptor and closes it.
    private func signalReady() {
        guard let number = options.readyDescriptor else { return }
        let fd = FileDescriptor(rawValue: number)
        do {
            try fd.writeAll([0x0A])
            try fd.close()
        } catch {
            log.warning("--ready-fd \(number): \(error)")
        }
    }
}
