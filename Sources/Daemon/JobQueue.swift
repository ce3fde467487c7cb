import JobStore
import PluginHost
import Posix
import Scheduler

/// The daemon's job queue, running: the store, the backends' keys and the
/// scheduler, started and stopped together.
final class JobQueue: Sendable {
    let store: JobStoreWorker
    let keys: KeyRing
    let scheduler: JobScheduler
    let subscriptions: EventSubscriptions

    private init(store: JobStoreWorker, keys: KeyRing, scheduler: JobScheduler, subscriptions: EventSubscriptions) {
        self.store = store
        self.keys = keys
        self.scheduler = scheduler
        self.subscriptions = subscriptions
    }

    /// Opens the database (creating its folder 0700), loads the key and
    /// starts the scheduler, which requeues jobs a previous run left running.
    static func start(
        paths: DaemonPaths, options: DaemonOptions, upstream: Upstream, keys: KeyRing, plugins: PluginRegistry, log: Logger
    ) throws(DaemonError) -> JobQueue {
        let store: JobStoreWorker
        do {
            try FileSystem.makeDirectories(paths.stateDirectory, permissions: 0o700)
            if options.skipDatabaseCheck {
                do {
                    _ = try JobStore(path: paths.database, verify: true)
                } catch let error as JobStoreError {
                    log.warning("--skip-database-check: using the job database as it is, although \(error)")
                }
            }
            store = try JobStoreWorker(path: paths.database, verify: !options.skipDatabaseCheck) { [log] message in log.warning(message) }
        } catch let error as JobStoreError {
            if case .damaged = error { throw DaemonError(.damagedDatabase, "\(error)") }
            throw DaemonError(.configuration, "cannot use the job database: \(error)")
        } catch {
            throw DaemonError(.configuration, "cannot open the job database \(paths.database): \(error)")
        }
        let configuration = options.schedulerConfiguration(outputDirectory: paths.outputDirectory)
        let scheduler = JobScheduler(
            store: store,
            backends: upstream.backends.map {
                ConfiguredBackend(
                    name: $0.name, backend: $0.backend, maximumInFlight: $0.maximumInFlight, requestsPerMinute: $0.requestsPerMinute,
                    caps: $0.caps, retry: $0.retry
                )
            },
            defaultBackend: upstream.defaultBackend.name, keys: keys, configuration: configuration, plugins: plugins
        ) { log.info($0) }
        let subscriptions = EventSubscriptions(bufferLimit: options.eventBufferLimit)
        _ = scheduler.events.subscribe { job, progress in subscriptions.publish(job, progress: progress) }
        do {
            try scheduler.start()
        } catch {
            store.close()
            throw DaemonError(.configuration, "cannot read the job database \(paths.database): \(error)")
        }
        let states = keys.vaults.map { "\($0.name) \($0.vault.status().state)" }.joined(separator: ", ")
        log.info("jobs: \(paths.database); images: \(paths.outputDirectory); keys: \(states)")
        return JobQueue(store: store, keys: keys, scheduler: scheduler, subscriptions: subscriptions)
    }

    /// Stops the scheduler (jobs in flight go back to the queue, no attempt
    /// counted) and closes the database. Blocks: call from a plain thread.
    func stop() {
        let done = ThreadCondition(false)
        let scheduler = self.scheduler
        Task {
            await scheduler.stop()
            done.update { $0 = true }
        }
        done.wait { $0 }
        store.close()
    }
}
