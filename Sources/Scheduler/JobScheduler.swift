import Backends
import Jobs
import JobStore
import JSON
import PluginHost
import Posix

/// Takes jobs from the store and gets them through their backends:
/// priorities and FIFO, at most each backend's `maximumInFlight` jobs at a
/// time, a pause of a backend's lane after its rate limit (other backends'
/// jobs go on), backoff with jitter after transient failures, a pause of
/// the backends that need a key when it is refused, and images saved once
/// each.
///
/// Everything it does to a job is a store transaction followed by an event,
/// so a crash at any point leaves a job the next start can resume
/// (`requeueInterrupted`, which counts the interrupted attempt).
package final class JobScheduler: Sendable {
    package let store: JobStoreWorker
    package let events: JobEventHub
    /// The backends jobs go to, each with its pacing and health, in the
    /// configuration's order.
    let lanes: [BackendLane]
    /// Where jobs that name no backend go.
    let defaultLane: BackendLane
    /// Reads local init images, at submit and before a generation.
    let initImages: InitImageReader
    let keys: any APIKeySource
    let configuration: SchedulerConfiguration
    /// Output folders found ready at recent submits.
    private let readyFolders = ReadyFolders()
    /// How the default backend has been doing (`daemon.status`).
    package var health: UpstreamHealth { defaultLane.health }
    /// The bytes of decoded images all jobs share.
    let memory: ImageMemory
    let saver: ImageSaver
    /// The plugins jobs may name; nil: none.
    let plugins: PluginRegistry?
    let log: @Sendable (String) -> Void
    /// For what a down or slow upstream makes every submit say.
    private let repeatedLog: RepeatedMessageLog
    private let ids = JobIDGenerator()
    private let wake = WakeSignal()
    private let state = Lock(State())
    private let liveDefaults: Lock<JobDefaults>
    /// The lane of the backend named `name`.
    func lane(named name: String) -> BackendLane? {
        lanes.first { $0.name == name }
    }

    /// Whether a job on `lane` could start now: it has room, and a key if
    /// it needs one.
    private func canStart(on lane: BackendLane) -> Bool {
        keys.keyAllows(lane) && runningCount(in: lane.name) < lane.maximumInFlight
    }

    /// How backend `name` has been doing; nil for a name it does not run.
    package func health(ofBackend name: String) -> UpstreamHealth? {
        lane(named: name)?.health
    }

    /// Whether backend `name` needs the API key; nil for a name it does not run.
    package func needsKey(backend name: String) -> Bool? {
        lane(named: name)?.needsKey
    }

    /// Each backend's usage per local day from `firstDay` on (one
    /// backend's with `backend`), newest first.
    package func usage(from firstDay: String, backend: String? = nil) async throws -> [JobStore.DailyUsage] {
        try await store.perform { store in try store.usage(from: firstDay, backend: backend) }
    }

    /// How many jobs wait on each backend.
    package func queuedByBackend() async throws -> [String: Int] {
        try await store.perform { store in try store.queuedByBackend() }
    }

    /// The defaults new jobs get now.
    package var defaults: JobDefaults { liveDefaults.withLock { $0 } }

    /// Changes the defaults of jobs submitted from now on (a reload).
    package func updateDefaults(_ defaults: JobDefaults) {
        liveDefaults.withLock { $0 = defaults }
    }

    private struct State {
        /// Jobs being worked on, with the lane each runs in.
        var running: [String: (lane: String, task: Task<Void, Never>)] = [:]
        var dispatcher: Task<Void, Never>?
        var stopping = false
    }

    /// A scheduler over one backend, named after its kind, paced by
    /// `configuration`'s in-flight and per-minute limits.
    package convenience init(
        store: JobStoreWorker, backend: any ImageBackend, initImages: InitImageReader = InitImageReader(), keys: any APIKeySource,
        configuration: SchedulerConfiguration, events: JobEventHub = JobEventHub(), plugins: PluginRegistry? = nil,
        log: @escaping @Sendable (String) -> Void
    ) {
        let only = ConfiguredBackend(
            name: backend.description.kind, backend: backend, maximumInFlight: configuration.maximumInFlight,
            requestsPerMinute: configuration.requestsPerMinute
        )
        self.init(
            store: store, backends: [only], defaultBackend: only.name, initImages: initImages, keys: keys, configuration: configuration,
            events: events, plugins: plugins, log: log
        )
    }

    /// A scheduler over `backends` (at least one; names unique), jobs that
    /// name none going to `defaultBackend`, which must be one of them.
    package init(
        store: JobStoreWorker, backends: [ConfiguredBackend], defaultBackend: String, initImages: InitImageReader = InitImageReader(),
        keys: any APIKeySource, configuration: SchedulerConfiguration, events: JobEventHub = JobEventHub(), plugins: PluginRegistry? = nil,
        log: @escaping @Sendable (String) -> Void
    ) {
        precondition(!backends.isEmpty && Set(backends.map(\.name)).count == backends.count, "backends must be named once each")
        self.plugins = plugins
        liveDefaults = Lock(configuration.defaults)
        self.store = store
        lanes = backends.map(BackendLane.init)
        guard let defaultLane = lanes.first(where: { $0.name == defaultBackend }) else {
            preconditionFailure("the default backend \(defaultBackend) is not one of \(backends.map(\.name))")
        }
        self.defaultLane = defaultLane
        self.initImages = initImages
        self.keys = keys
        self.configuration = configuration
        self.events = events
        self.log = log
        repeatedLog = RepeatedMessageLog(period: .seconds(60), write: log)
        memory = ImageMemory(capacity: configuration.imageLimits.memoryBudget)
        saver = ImageSaver(memory: memory, limits: configuration.imageLimits)
    }

    // MARK: Life

    /// Requeues jobs a previous run left running, then starts dispatching.
    /// Blocks briefly on the store: call it from a plain thread at start-up.
    package func start() throws {
        let limit = configuration.retry.maximumAttempts
        let now = Self.now()
        let names = lanes.map(\.name)
        let (interrupted, newest, pauses, missing) = try store.performBlocking { [lanes] store in
            (
                try store.requeueInterrupted(now: now, maximumAttempts: limit), try store.newestJobID(),
                try lanes.map { try store.pause($0.pauseScope, now: now) },
                try store.markBackendMissing(except: names, now: now) { name in
                    JobFailure(
                        kind: .backendMissing,
                        message: "its backend '\(name)' is not configured (backends: \(names.joined(separator: ", "))); it runs when the backend is back in the configuration"
                    )
                }
            )
        }
        if let newest { ids.resume(after: newest) }
        for (lane, pause) in zip(lanes, pauses) {
            guard let pause else { continue }
            // A Retry-After from before the restart still holds.
            let left = Duration.milliseconds(pause.until - now)
            lane.gate.pause(until: MonotonicInstant.now().advanced(by: left))
            lane.health.recordPause(until: pause.until, reason: pause.reason)
            log("backend \(lane.name) stays paused for \(left.seconds) s, until \(WallClock(milliseconds: pause.until).iso8601): its rate limit from before the restart (\(pause.reason))")
        }
        if missing > 0 {
            log("\(missing) queued job(s) name a backend that is not configured: they wait until it is (backends: \(names.joined(separator: ", ")))")
        }
        if interrupted.requeued > 0 {
            log("requeued \(interrupted.requeued) job(s) the previous run was working on when it stopped without a word (each counts an attempt)")
        }
        for id in interrupted.failed {
            log("job \(id) failed: the daemon stopped while working on it \(limit) times (crashed); the queue moves on (vcctl retry \(id) to try again)")
        }
        let task = Task { [self] in await dispatch() }
        state.withLock { $0.dispatcher = task }
    }

    /// Stops dispatching, aborts the jobs in flight and puts them back in the
    /// queue (no attempt counted).
    package func stop() async {
        let (dispatcher, running) = state.withLock { state -> (Task<Void, Never>?, [Task<Void, Never>]) in
            state.stopping = true
            return (state.dispatcher, state.running.values.map(\.task))
        }
        dispatcher?.cancel()
        wake.notify()
        for task in running { task.cancel() }
        await dispatcher?.value
        for task in running { await task.value }
        // Nothing works on a job any more: the ones this stop interrupted go
        // back to the queue with no attempt counted. (Jobs still `running` at
        // the next start were interrupted by a crash, and count one.)
        do {
            let requeued = try await store.perform { store in try store.requeueStopped(now: Self.now()) }
            if requeued > 0 { log("requeued \(requeued) job(s) this stop interrupted") }
        } catch {
            log("could not requeue the jobs this stop interrupted (\(error)); the next start counts an attempt for each")
        }
    }

    /// Looks at the queue again now (a new key, a config change).
    package func poke() {
        wake.notify()
    }

    /// Jobs being worked on now.
    package var runningCount: Int { state.withLock { $0.running.count } }

    /// Jobs of backend `name` being worked on now.
    package func runningCount(in name: String) -> Int {
        state.withLock { state in state.running.values.count { $0.lane == name } }
    }

    // MARK: Client operations

    /// Validates, fills in defaults, and commits a new job (or finds the one
    /// with the same idempotency key). A prompt plugin that expands the
    /// request makes one job per request, committed together.
    package func submit(_ parameters: JobRequest) async throws -> Submission {
        let prepared = try await prepare(parameters)
        let now = Self.now()
        let jobs = prepared.enumerated().map { index, prepared in
            var filled = prepared
            if index > 0 { filled.idempotencyKey = filled.idempotencyKey.map { "\($0)#\(index + 1)" } }
            // `prepare` named the backend, and checked it is one of ours.
            let lane = filled.backend.flatMap(lane(named:)) ?? defaultLane
            let rules = lane.rules
            return NewJob(
                id: ids.next(), priority: filled.priority, parameters: String(decoding: JSONSerializer.serialize(filled.json), as: UTF8.self),
                prompt: filled.prompt, labels: filled.labels, outputDirectory: filled.outputDirectory, idempotencyKey: filled.idempotencyKey,
                imageCount: filled.imageCount,
                imagesPerRequest: filled.isImageToImage ? rules.imagesPerImageToImageRequest : rules.imagesPerRequest, backend: lane.name,
                createdAt: now
            )
        }
        let outcomes = try await store.perform { store in try jobs.map { try store.insert($0) } }
        var existing = false
        for outcome in outcomes {
            switch outcome {
            case .created(let job, _): events.publish(job)
            case .existing: existing = true
            }
        }
        // Only a job that can start now is news to the dispatcher: one on a
        // lane without a key or room waits for whatever opens the lane (a
        // key, a job that ends, a poke), which wakes the dispatcher itself.
        if jobs.contains(where: { lane(named: $0.backend).map(canStart(on:)) ?? true }) { wake.notify() }
        let first = outcomes[0]
        let position: Int
        switch first {
        case .created(_, let created): position = created
        case .existing(let job): position = try await store.perform { store in try store.position(of: job) }
        }
        return Submission(id: first.job.id, state: first.job.state, position: position, existing: existing, ids: outcomes.map(\.job.id))
    }

    /// The id `reference` names (a whole id, a unique prefix or ending, any
    /// case, or `last`); a whole id is not looked up.
    package func resolve(_ reference: String) async throws -> String {
        let parsed = try JobReference(parsing: reference)
        if case .id(let id) = parsed { return id }
        return try await store.perform { store in try store.resolve(parsed) }
    }

    /// One job, with its queue position.
    package func job(_ id: String) async throws -> QueuedJob {
        try await store.perform { store in
            guard let job = try store.job(id) else { throw JobStoreError.notFound(id: id) }
            return QueuedJob(record: job, position: try store.position(of: job))
        }
    }

    /// One page of jobs, newest first, and the id to list on from (`before`)
    /// when there are more.
    package func list(_ query: JobQuery) async throws -> (jobs: [JobRecord], next: String?) {
        try await page(query, id: \.id) { store, probe in try store.list(probe) }
    }

    /// The same page as `list`, as listing lines (`job.list`'s `summary`).
    package func summaries(_ query: JobQuery) async throws -> (jobs: [JobSummaryRecord], next: String?) {
        try await page(query, id: \.id) { store, probe in try store.summaries(probe) }
    }

    /// One page of `query` read by `read`, and the id to list before for
    /// the next page (nil on the last).
    private func page<Entry: Sendable>(
        _ query: JobQuery, id: @Sendable (Entry) -> String, _ read: @escaping @Sendable (JobStore, JobQuery) throws -> [Entry]
    ) async throws -> (jobs: [Entry], next: String?) {
        var probe = query
        // One more than asked shows whether there is a next page.
        probe.limit = query.limit + 1
        let entries = try await store.perform { [probe] store in try read(store, probe) }
        let page = entries.prefix(query.limit)
        return (Array(page), entries.count > query.limit ? page.last.map(id) : nil)
    }

    /// Cancels a queued job at once, or a running one by aborting its request.
    package func cancel(_ id: String) async throws -> JobRecord {
        let job = try await store.perform { store in
            _ = try store.cancel(id, now: Self.now())
            guard let job = try store.job(id) else { throw JobStoreError.notFound(id: id) }
            return job
        }
        let task = state.withLock { $0.running[id]?.task }
        task?.cancel()
        events.publish(job)
        return job
    }

    /// Deletes finished jobs from the history: the ones `ids` names, or
    /// else those finished more than `olderThanSeconds` ago; with `files`,
    /// their saved images too.
    package func delete(ids: [String]?, olderThanSeconds: Double, files: Bool) async throws -> Deletion {
        let deleted = try await store.perform { store in
            if let ids { return try store.delete(ids: ids) }
            return try store.deleteFinished(before: Self.now() - Int64(olderThanSeconds * 1000))
        }
        var removed = 0
        var errors: [String] = []
        if files {
            // Unlinking blocks: on the store's thread, after the rows are gone.
            let paths = deleted.flatMap { $0.images.compactMap(\.path) }
            (removed, errors) = try await store.perform { _ in
                var removed = 0
                var errors: [String] = []
                for path in paths {
                    do {
                        if try FileSystem.removeFile(path) { removed += 1 }
                    } catch {
                        errors.append("\(error)")
                    }
                }
                return (removed, errors)
            }
        }
        log("deleted \(deleted.count) job(s) from the history" + (files ? ", \(removed) image file(s)" : ""))
        return Deletion(deleted: deleted.map(\.id), filesRemoved: removed, fileErrors: errors)
    }

    /// Queues a failed or cancelled job again.
    package func retry(_ id: String) async throws -> QueuedJob {
        let (job, position) = try await store.perform { store in
            let job = try store.retry(id, now: Self.now())
            return (job, try store.position(of: job))
        }
        events.publish(job)
        wake.notify()
        return QueuedJob(record: job, position: position)
    }

    /// Waits for a job to finish, to need a new key, or for `timeout`.
    package func wait(_ id: String, timeout: Duration) async throws -> WaitOutcome {
        if timeout == .zero {
            let now = try await job(id)
            return WaitOutcome(job: now, timedOut: !endsWaiting(now.record))
        }
        let store = self.store
        let end = await events.waitForEnd(id, timeout: timeout, ends: { [self] in endsWaiting($0) }) { [self] in
            // A job that cannot be read ends the wait (the answer says why).
            let job = (try? await store.perform { store in try store.job(id) }) ?? nil
            return job.map(endsWaiting) ?? true ? .ended(job) : nil
        }
        switch end {
        case .ended(let job?) where job.state.isTerminal:
            // As it ended: a finished job has no place in the queue to look up.
            return WaitOutcome(job: QueuedJob(record: job, position: 0), timedOut: false)
        case .ended:
            return WaitOutcome(job: try await job(id), timedOut: false)
        case .timedOut:
            return WaitOutcome(job: try await job(id), timedOut: true)
        }
    }

    // MARK: Private

    /// Whether a waiter for `job` should hear now: it finished, or it waits
    /// for a new API key while there is none (only a person can help then).
    private func endsWaiting(_ job: JobRecord) -> Bool {
        job.state.isTerminal || (job.state == .queued && lane(named: job.backend).map { !keys.keyAllows($0) } == true)
    }

    static func now() -> Int64 { WallClock.now().milliseconds }

    /// Defaults filled in and every rule checked before anything is
    /// committed: what would fail only after the generation is paid for
    /// (names, plugin options, the init image, the output folder) is
    /// refused here. The lists are checked when the upstream can be asked;
    /// a job submitted offline is checked by the upstream itself later.
    private func prepare(_ parameters: JobRequest) async throws -> [JobRequest] {
        let lane = try self.lane(for: parameters)
        let rules = lane.rules
        try parameters.check(against: rules)
        var filled = parameters
        filled.backend = lane.name
        let defaults = self.defaults.on(lane.name)
        if filled.outputDirectory == nil { filled.outputDirectory = defaults.outputDirectory }
        if filled.plugins.isEmpty { filled.plugins = defaults.pluginChain }
        // The configuration's defaults first, then the backend's: the stored
        // job holds every value used. A workflow's own values hold instead.
        let keepsWorkflowValues = filled.keepsWorkflowValues(on: rules)
        if rules.takesSteps, !keepsWorkflowValues {
            filled.steps = filled.steps ?? defaults.steps.map { min($0, (filled.isImageToImage ? rules.imageToImageSteps : rules.textToImageSteps).upperBound) }
        }
        if rules.takesGuidance, !keepsWorkflowValues {
            filled.cfgScale = filled.cfgScale ?? defaults.cfgScale.map { !filled.isImageToImage && rules.textToImageGuidanceIsWhole ? $0.rounded() : $0 }
        }
        filled = filled.resolved(with: rules)
        if let initImage = filled.initImage, initImage.hasPrefix("/") {
            do {
                try await initImages.check(initImage)
            } catch let unavailable as InitImageUnavailable {
                // Nothing is accepted unchecked: the submit can be made again.
                throw ParameterProblem(field: "init_images", message: unavailable.description)
            }
        }
        // Named by the configuration, not the job: a wrong one is the file's to fix.
        let fromDefaults = (model: filled.model == nil && defaults.model != nil, sampler: filled.sampler == nil && defaults.sampler != nil)
        if !keepsWorkflowValues, !filled.isImageToImage || rules.imageToImageTakesModelAndSampler {
            filled.model = filled.model ?? defaults.model ?? rules.defaultModel
            if rules.takesSampler { filled.sampler = filled.sampler ?? defaults.sampler ?? rules.defaultSampler }
        }
        let checked: GenerationRequest?
        do throws(ParameterProblem) {
            checked = try await resolvedNames(generation(filled, count: 1, rules: rules), on: lane)
        } catch {
            guard (error.field == "model" && fromDefaults.model) || (error.field == "sampler" && fromDefaults.sampler) else { throw error }
            // The job named none: the wrong name is the configuration's default.
            let key = defaults.source(of: error.field, on: lane.name)
            throw ParameterProblem(
                field: error.field,
                message: error.message + "; it is \(key) in the configuration file" + (key.hasPrefix("jobs.") ? " (vcctl config set \(key) NAME)" : "")
            )
        }
        if let checked {
            // The stored job, and the images' parameters, carry the catalog's spelling.
            filled.model = checked.model
            filled.sampler = checked.sampler
            filled.scheduler = checked.scheduler
        }
        var prepared = [filled]
        if !filled.plugins.isEmpty {
            // Prompt hooks run now: the stored jobs hold what they made.
            let chain = try PluginChain.resolve(filled.plugins, registry: plugins, timeout: configuration.pluginTimeout)
            prepared = try await chain.rewritePrompt(filled, seed: UInt64.random(in: 0...UInt64(Int64.max)))
        }
        // Last, so that a job refused for anything else leaves no folder.
        let folder = filled.outputDirectory ?? defaults.outputDirectory
        do {
            try await OutputFolder.prepare(folder, ready: readyFolders)
        } catch {
            guard parameters.outputDirectory == nil else { throw error }
            // The job named none: the folder is the daemon's.
            throw ParameterProblem(
                field: error.field,
                message: error.message + "; it is the daemon's output folder (jobs.output_dir in the configuration file, or visioncraftd --output-dir)"
            )
        }
        return prepared
    }

    /// How long a submit waits for the backend's catalog before accepting
    /// the job unchecked (the fetch goes on and fills the cache).
    static let listWait: Duration = .seconds(3)

    /// `request` checked by the backend (its rules, and its catalog when it
    /// can be had quickly: a durable queue takes jobs while the backend is
    /// slow or down, and the backend refuses a wrong name itself later).
    ///
    /// - Returns: `request` with the names as the catalog spells them; nil
    ///   when the catalog could not be had (the names go as given).
    /// - Throws: the backend's refusal, naming the field.
    private func resolvedNames(_ request: GenerationRequest, on lane: BackendLane) async throws(ParameterProblem) -> GenerationRequest? {
        let backend = lane.backend
        let outcome: Result<GenerationRequest, BackendFailure>?
        if backend.catalogIsSettled {
            // The usual case: answered from the cache, no race needed.
            do throws(BackendFailure) {
                outcome = .success(try await backend.resolved(request))
            } catch {
                outcome = .failure(error)
            }
        } else {
            outcome = await raceCatalogFetch(request, on: backend)
        }
        switch outcome {
        case .success(let checked)?:
            return checked
        case .failure(.invalid(let message, let field))?:
            throw ParameterProblem(field: field ?? "params", message: message)
        case .failure(let failure)?:
            repeatedLog.log("accepting jobs without checking their model and sampler: the backend's lists are unavailable (\(failure))")
        case nil:
            repeatedLog.log("accepting jobs without checking their model and sampler: the backend is slow to list them")
        }
        return nil
    }

    /// The backend's check, which may fetch the catalog, or nil after `listWait`.
    private func raceCatalogFetch(_ request: GenerationRequest, on backend: any ImageBackend) async -> Result<GenerationRequest, BackendFailure>? {
        typealias Answer = Result<GenerationRequest, BackendFailure>?
        return await withCheckedContinuation { (continuation: CheckedContinuation<Answer, Never>) in
            let once = OnceContinuation<Answer>(continuation)
            let timer = Task {
                guard (try? await Task.sleep(for: Self.listWait)) != nil else { return }
                once.resume(nil)
            }
            Task {
                let outcome: Answer
                do throws(BackendFailure) {
                    outcome = .success(try await backend.resolved(request))
                } catch {
                    outcome = .failure(error)
                }
                once.resume(outcome)
                timer.cancel()
            }
        }
    }

    /// The generation call for `count` images of a stored job (which holds
    /// every value: `prepare` resolved them); a local init image named, to
    /// be read before the call.
    func generation(_ parameters: JobRequest, count: Int, rules: BackendRules) -> GenerationRequest {
        let resolved = parameters.resolved(with: rules)
        return GenerationRequest(
            prompt: resolved.prompt, negativePrompt: resolved.negativePrompt, model: resolved.model, sampler: resolved.sampler,
            scheduler: resolved.scheduler, seed: resolved.seed, count: count, width: resolved.width, height: resolved.height, steps: resolved.steps,
            guidance: resolved.cfgScale,
            initImage: resolved.initImage.map { $0.hasPrefix("/") ? .file($0) : .url($0) }, workflow: resolved.workflow
        )
    }

    /// The dispatcher: starts runnable jobs while there is room and a key,
    /// then sleeps until something changes or the next retry time.
    private func dispatch() async {
        while !Task.isCancelled {
            var nextCheck: Duration? = nil
            do {
                // The lanes with room (and a key, for those that need one):
                // a full or paused backend holds up only its own jobs.
                let open = lanes.filter(canStart(on:))
                if open.isEmpty {
                    // Nothing can start until a lane opens, which a key, a
                    // job that ends or a poke says (each notifies `wake`):
                    // no visit to the store, which a submit to a full or
                    // keyless backend would otherwise cost. The backends'
                    // next attempts (`status`) stay as last read till then.
                    await wake.wait(timeout: nil)
                    continue
                }
                let room = Dictionary(uniqueKeysWithValues: open.map { ($0.name, $0.maximumInFlight - runningCount(in: $0.name)) })
                let busy = Set(state.withLock { Array($0.running.keys) })
                let now = Self.now()
                let names = open.map(\.name)
                // One visit to the store's thread: the jobs that start are
                // marked running as they are chosen (not synced: see
                // `JobRunner.run`), then each backend's next retry time is read.
                let (started, retries) = try await store.perform(synced: false) { store in
                    var left = room
                    var started: [JobRecord] = []
                    let candidates = try store.runnable(now: now, limit: room.values.reduce(0, +) + busy.count, backends: names)
                    for job in candidates where !busy.contains(job.id) {
                        guard let free = left[job.backend], free > 0 else { continue }
                        left[job.backend] = free - 1
                        try store.markRunning(job.id, now: now)
                        if let running = try store.job(job.id) { started.append(running) }
                    }
                    return (started, try store.nextRetryTimes())
                }
                for job in started {
                    events.publish(job)
                    // A stop that came meanwhile requeues it (`stop`).
                    if let lane = lane(named: job.backend) { launch(job, in: lane) }
                }
                for lane in lanes { lane.health.recordNextAttempt(at: retries[lane.name]) }
                if let next = retries.values.min() {
                    nextCheck = .milliseconds(max(1, next - Self.now()))
                }
            } catch {
                log("the scheduler could not read the queue: \(error)")
                nextCheck = .seconds(5)
            }
            await wake.wait(timeout: nextCheck)
        }
    }

    private func launch(_ job: JobRecord, in lane: BackendLane) {
        let runner = JobRunner(scheduler: self, job: job, lane: lane)
        state.withLock { running in
            guard !running.stopping, running.running[job.id] == nil else { return }
            running.running[job.id] = (lane.name, Task { [self] in
                await runner.run()
                state.withLock { _ = $0.running.removeValue(forKey: job.id) }
                wake.notify()
            })
        }
    }

    /// The lane of the backend `parameters` names (the default when it
    /// names none).
    ///
    /// - Throws: `ParameterProblem` naming the backends there are.
    private func lane(for parameters: JobRequest) throws(ParameterProblem) -> BackendLane {
        guard let name = parameters.backend else { return defaultLane }
        guard let lane = lane(named: name) else {
            let names = lanes.map(\.name).joined(separator: ", ")
            throw ParameterProblem(field: JobField.backend.wireName, message: "no backend is named '\(name)' (backends: \(names))")
        }
        return lane
    }

    /// Runs `body` on the store, then publishes the job as it is after it.
    @discardableResult
    func change(_ id: String, _ body: @escaping @Sendable (JobStore) throws -> Void) async throws -> JobRecord {
        let job = try await store.perform { store in
            try body(store)
            guard let job = try store.job(id) else { throw JobStoreError.notFound(id: id) }
            return job
        }
        events.publish(job)
        return job
    }
}
