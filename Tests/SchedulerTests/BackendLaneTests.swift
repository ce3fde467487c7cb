import Backends
import Configuration
import Imaging
import Jobs
import JobStore
import Posix
@testable import Scheduler
import Testing
import TestSupport

/// Several backends side by side: each job runs on the backend it names,
/// and a backend that is paused, busy or gone holds up only its own jobs.
@Suite struct BackendLaneTests {
    /// A scheduler over `backends` (the first the default), started, images
    /// in a folder of its own; stopped after `body`.
    static func running<T>(
        _ backends: [ConfiguredBackend], keys: any APIKeySource = FixedKey(), store given: JobStoreWorker? = nil,
        _ body: (JobScheduler) async throws -> T
    ) async throws -> T {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var configuration = SchedulerConfiguration(outputDirectory: folder.file("images"))
        configuration.retry.base = .milliseconds(1)
        configuration.retry.cap = .milliseconds(5)
        // Quick retries must not run out of attempts while a test watches them.
        configuration.retry.maximumAttempts = 100
        let store = try given ?? JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { if given == nil { store.close() } }
        let scheduler = JobScheduler(store: store, backends: backends, defaultBackend: backends[0].name, keys: keys, configuration: configuration) { _ in }
        try await offPool { try scheduler.start() }
        do {
            let result = try await body(scheduler)
            await scheduler.stop()
            return result
        } catch {
            await scheduler.stop()
            throw error
        }
    }

    static func lane(_ name: String, _ backend: FakeBackend, inFlight: Int = 1) -> ConfiguredBackend {
        ConfiguredBackend(name: name, backend: backend, maximumInFlight: inFlight, requestsPerMinute: 0)
    }

    static let image = GeneratedImage(FetchedImage(checking: try! PNGCodec.encode(RGBAImage(width: 8, height: 8)))!)

    static func state(_ scheduler: JobScheduler, _ id: String) async throws -> JobState {
        try await scheduler.wait(id, timeout: TestTime.scaled(.seconds(60))).job.record.state
    }

    @Test func aRateLimitedBackendHoldsUpOnlyItsOwnJobs() async throws {
        let limited = FakeBackend { _, _ throws(BackendFailure) in throw .rateLimited("slow down", retryAfter: .seconds(600)) }
        let free = FakeBackend { _, _ throws(BackendFailure) in .images([Self.image]) }
        try await Self.running([Self.lane("slow", limited), Self.lane("fast", free)]) { scheduler in
            let held = try await scheduler.submit(JobRequest(prompt: "held"))
            let stored = try await scheduler.job(held.id).record
            #expect(stored.backend == "slow", "the default backend")
            // The first job's 429 pauses its backend for ten minutes...
            let paused = try await offPool {
                let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(60)))
                while limited.requests.isEmpty, MonotonicInstant.now() < deadline { pauseBriefly() }
                return !limited.requests.isEmpty
            }
            #expect(paused)
            // ...and a job on the other backend runs meanwhile.
            let other = try await scheduler.submit(JobRequest(prompt: "other", backend: "fast"))
            #expect(try await Self.state(scheduler, other.id) == .succeeded)
            #expect(try await scheduler.job(held.id).record.state == .queued)
            #expect(limited.requests.count == 1, "nothing more was sent to the paused backend")
        }
    }

    @Test func aBusyBackendHoldsUpOnlyItsOwnJobs() async throws {
        let release = ThreadCondition(false)
        defer { release.update { $0 = true } }
        let busy = FakeBackend { _, _ throws(BackendFailure) in
            await offPoolWait(release)
            return .images([Self.image])
        }
        let free = FakeBackend { _, _ throws(BackendFailure) in .images([Self.image]) }
        try await Self.running([Self.lane("busy", busy, inFlight: 1), Self.lane("free", free, inFlight: 1)]) { scheduler in
            let first = try await scheduler.submit(JobRequest(prompt: "first"))
            let second = try await scheduler.submit(JobRequest(prompt: "second"))
            let other = try await scheduler.submit(JobRequest(prompt: "other", backend: "free"))
            #expect(try await Self.state(scheduler, other.id) == .succeeded, "the other backend's job ran while the busy one's waited")
            #expect(try await scheduler.job(second.id).record.state == .queued, "one at a time on the busy backend")
            #expect(busy.requests.count == 1)
            release.update { $0 = true }
            #expect(try await Self.state(scheduler, first.id) == .succeeded)
            #expect(try await Self.state(scheduler, second.id) == .succeeded)
        }
    }

    @Test func aJobWhoseBackendIsGoneWaitsSayingWhyAndRunsWhenItIsBack() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { store.close() }
        let backend = FakeBackend { _, _ throws(BackendFailure) in .images([Self.image]) }
        // A job queued on "forge" while it is down...
        let down = FakeBackend { _, _ throws(BackendFailure) in throw .transient("down", retryAfter: .seconds(600)) }
        let queued = try await Self.running([Self.lane("forge", down)], store: store) { scheduler in
            let id = try await scheduler.submit(JobRequest(prompt: "waits")).id
            _ = try await scheduler.wait(id, timeout: .zero)
            return id
        }
        // ...then a start with "forge" gone from the configuration.
        let other = FakeBackend { _, _ throws(BackendFailure) in .images([Self.image]) }
        try await Self.running([Self.lane("comfy", other)], store: store) { scheduler in
            let job = try await scheduler.job(queued).record
            #expect(job.state == .queued)
            #expect(job.error?.kind == .backendMissing)
            #expect(job.error?.message.contains("its backend 'forge' is not configured (backends: comfy)") == true, "\(String(describing: job.error))")
            let done = try await scheduler.submit(JobRequest(prompt: "now"))
            #expect(try await Self.state(scheduler, done.id) == .succeeded)
            #expect(try await scheduler.job(queued).record.state == .queued, "not run on another backend")
        }
        let back = try await Self.running([Self.lane("forge", backend)], store: store) { scheduler in try await Self.state(scheduler, queued) }
        #expect(back == .succeeded, "back in the configuration: it runs")
    }

    @Test func eachBackendGetsItsOwnKeyAndOneThatTakesNoneRunsWithout() async throws {
        let keyless = FakeBackend(kind: "a1111", requiresKey: false) { _, _ throws(BackendFailure) in .images([Self.image]) }
        let keyed = FakeBackend { _, _ throws(BackendFailure) in .images([Self.image]) }
        try await Self.running([Self.lane("gpu", keyless), Self.lane("vc", keyed)], keys: BackendKeys(keys: ["vc": "k"])) { scheduler in
            let one = try await scheduler.submit(JobRequest(prompt: "a"))
            let two = try await scheduler.submit(JobRequest(prompt: "b", backend: "vc"))
            #expect(try await Self.state(scheduler, one.id) == .succeeded)
            #expect(try await Self.state(scheduler, two.id) == .succeeded)
        }
        #expect(keyless.keys == [nil], "another backend's key is not sent to it")
        #expect(keyed.keys == ["k"])
        // With no key at all, the keyless backend's jobs still run.
        let alone = FakeBackend(kind: "a1111", requiresKey: false) { _, _ throws(BackendFailure) in .images([Self.image]) }
        try await Self.running([Self.lane("gpu", alone), Self.lane("vc", keyed)], keys: NoKey()) { scheduler in
            let job = try await scheduler.submit(JobRequest(prompt: "c"))
            #expect(try await Self.state(scheduler, job.id) == .succeeded)
        }
    }

    /// A backend's daily cap: nothing is sent past it, the job waits (kind
    /// quota) until tomorrow, and what was made is in the usage.
    @Test(arguments: [(ImageCaps(daily: 2), "for today (daily_images)"), (ImageCaps(monthly: 2), "for this month (monthly_images)")])
    func aCapIsNeverPassedAndTheUsageCountsIt(caps: ImageCaps, says: String) async throws {
        let backend = FakeBackend { request, _ throws(BackendFailure) in .images(Array(repeating: Self.image, count: request.count)) }
        let lane = ConfiguredBackend(name: "capped", backend: backend, maximumInFlight: 1, requestsPerMinute: 0, caps: caps)
        try await Self.running([lane]) { scheduler in
            let submitted = try await scheduler.submit(JobRequest(prompt: "three", imageCount: 3))
            let job = try await scheduler.wait(submitted.id, timeout: .milliseconds(300)).job.record
            // Waits out the day: it cannot finish now.
            #expect(job.state == .queued || job.state == .running)
            let waiting = try await offPool { () -> JobRecord? in
                let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
                while MonotonicInstant.now() < deadline {
                    let now = try scheduler.store.performBlocking { try $0.job(submitted.id) }
                    if now?.error?.kind == .quota { return now }
                    pauseBriefly()
                }
                return nil
            }
            #expect(waiting?.state == .queued, "waiting for tomorrow")
            #expect(waiting?.imagesDone == 2)
            #expect(waiting?.error?.message.contains("made its 2 images \(says)") == true, "\(String(describing: waiting?.error))")
            #expect(backend.requests.map(\.count) == [2], "asked for what was left of the day, then nothing")
            let usage = try await scheduler.usage(from: WallClock.now().localDate)
            #expect(usage.map(\.images) == [2] && usage.first?.backend == "capped" && usage.first?.requests == 1)
        }
    }

    /// A request that became a remote job (ComfyUI's prompt_id) is
    /// followed again after a restart, never submitted twice; a remote job
    /// the service lost is submitted again.
    @Test func aRemoteJobIsFollowedAgainAfterARestartNotSubmittedTwice() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { store.close() }
        let follows = Lock<[String]>([])
        let busy = FakeBackend(delivery: .remoteJob, follow: { id throws(BackendFailure) in
            follows.withLock { $0.append(id) }
            throw .transient("still making it", retryAfter: nil)
        }) { _, _ throws(BackendFailure) in .remote(id: "r-7") }
        let id = try await Self.running([Self.lane("comfy", busy)], store: store) { scheduler in
            let id = try await scheduler.submit(JobRequest(prompt: "later")).id
            #expect(try await offPool {
                let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
                while follows.withLock({ $0.count }) < 2, MonotonicInstant.now() < deadline { pauseBriefly() }
                return follows.withLock { $0.count } >= 2
            }, "followed, and followed again at the next attempt")
            return id
        }
        #expect(busy.requests.count == 1, "submitted once, however many attempts followed it")
        #expect(try await store.perform { try $0.job(id)?.images.first?.remoteID } == "r-7", "recorded before it was followed")

        let done = FakeBackend(delivery: .remoteJob, follow: { id throws(BackendFailure) in
            #expect(id == "r-7")
            return .images([Self.image])
        }) { _, _ throws(BackendFailure) in
            Issue.record("submitted a second time")
            return .remote(id: "r-8")
        }
        let state = try await Self.running([Self.lane("comfy", done)], store: store) { scheduler in try await Self.state(scheduler, id) }
        #expect(state == .succeeded)
        #expect(done.requests.isEmpty)

        let lostOnce = Lock(true)
        let forgetful = FakeBackend(delivery: .remoteJob, follow: { id throws(BackendFailure) in
            if lostOnce.withLock({ lost in defer { lost = false }; return lost }) { throw .remoteLost("prompt \(id) is not in the history") }
            return .images([Self.image])
        }) { _, before throws(BackendFailure) in .remote(id: "r-\(before)") }
        let again = try await Self.running([Self.lane("comfy", forgetful)], store: store) { scheduler in
            try await Self.state(scheduler, try await scheduler.submit(JobRequest(prompt: "lost")).id)
        }
        #expect(again == .succeeded)
        #expect(forgetful.requests.count == 2, "the lost remote job was submitted again")
    }

    /// A backend's own attempts: its jobs give up after them while the
    /// queue's other backends keep the queue's.
    @Test func aBackendsOwnAttemptsAreItsJobs() async throws {
        let flaky = FakeBackend { _, _ throws(BackendFailure) in throw .transient("down", retryAfter: nil) }
        var strict = RetryPolicy()
        strict.maximumAttempts = 1
        let lane = ConfiguredBackend(name: "strict", backend: flaky, maximumInFlight: 1, requestsPerMinute: 0, retry: strict)
        let state = try await Self.running([lane]) { scheduler in try await Self.state(scheduler, try await scheduler.submit(JobRequest(prompt: "x")).id) }
        #expect(state == .failed)
        #expect(flaky.requests.count == 1, "one attempt, its own limit")
    }
}

/// Waits on `condition` on a thread of its own, not the task pool.
func offPoolWait(_ condition: ThreadCondition<Bool>) async {
    _ = try? await offPool { condition.wait { $0 } }
}
