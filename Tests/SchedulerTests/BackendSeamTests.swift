import Backends
import Imaging
import Jobs
import JSON
import JobStore
import Posix
import Scheduler
import Testing
import TestSupport

/// The scheduler drives any backend through the seam: images handed over
/// as bytes are saved without a download, URLs are fetched, a remote job is
/// followed, and each class of failure does what it says.
@Suite struct BackendSeamTests {
    /// A scheduler over `backend`, started, with images going to a folder
    /// of its own; stopped after `body`.
    static func running<T>(
        _ backend: FakeBackend, keys: any APIKeySource = FixedKey(), _ body: (JobScheduler, TemporaryDirectory) async throws -> T
    ) async throws -> T {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var configuration = SchedulerConfiguration(outputDirectory: folder.file("images"))
        configuration.requestsPerMinute = 0
        configuration.retry.base = .milliseconds(1)
        configuration.retry.cap = .milliseconds(5)
        let store = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { store.close() }
        let scheduler = JobScheduler(store: store, backend: backend, keys: keys, configuration: configuration) { _ in }
        try await offPool { try scheduler.start() }
        do {
            let result = try await body(scheduler, folder)
            await scheduler.stop()
            return result
        } catch {
            await scheduler.stop()
            throw error
        }
    }

    static func png(_ side: Int) throws -> FetchedImage {
        try #require(FetchedImage(checking: try PNGCodec.encode(RGBAImage(width: side, height: side, fill: (9, 8, 7, 255)))))
    }

    static func finished(_ scheduler: JobScheduler, _ id: String) async throws -> JobInfoSummary {
        let result = try await scheduler.wait(id, timeout: TestTime.scaled(.seconds(60)))
        #expect(!result.timedOut)
        let job = result.job.record
        return JobInfoSummary(state: job.state, kind: job.error?.kind, message: job.error?.message, paths: job.images.compactMap(\.path))
    }

    struct JobInfoSummary {
        var state: JobState
        var kind: FailureKind?
        var message: String?
        var paths: [String]
    }

    @Test func imagesHandedOverAsBytesAreSavedStampedWithoutADownload() async throws {
        let images = [try Self.png(8), try Self.png(16), try Self.png(24)].map { GeneratedImage($0) }
        let backend = FakeBackend { request, _ throws(BackendFailure) in .images(Array(images.prefix(request.count))) }
        try await Self.running(backend) { scheduler, _ in
            let submitted = try await scheduler.submit(JobRequest(prompt: "a fox", model: "m", sampler: "s", imageCount: 3))
            let job = try await Self.finished(scheduler, submitted.id)
            #expect(job.state == .succeeded, "\(job)")
            #expect(backend.requests.map(\.count) == [3], "one call for the three (five a request)")
            #expect(backend.fetched.isEmpty)
            #expect(job.paths.count == 3)
            for (path, side) in zip(job.paths, [8, 16, 24]) {
                let saved = try PNGCodec.decode(try FileSystem.readFile(path))
                #expect(saved.image.width == side)
                let parameters = try #require(saved.text.first { $0.keyword == "parameters" }?.text)
                #expect(parameters.hasPrefix("a fox\n"), "\(parameters)")
                #expect(parameters.contains("Size: \(side)x\(side)"), "\(parameters)")
            }
        }
    }

    /// The job names its backend: another name is refused before anything
    /// is committed, and the stored job names the one it runs on.
    @Test func theJobNamesTheBackendItRunsOn() async throws {
        let image = try Self.png(8)
        let backend = FakeBackend { _, _ throws(BackendFailure) in .images([GeneratedImage(image)]) }
        try await Self.running(backend) { scheduler, _ in
            await #expect(throws: ParameterProblem(field: "backend", message: "no backend is named 'forge' (backends: fake)")) {
                _ = try await scheduler.submit(JobRequest(prompt: "x", backend: "forge"))
            }
            let (jobs, _) = try await scheduler.list(JobQuery(limit: 10))
            #expect(jobs.isEmpty, "nothing was committed")
            let submitted = try await scheduler.submit(JobRequest(prompt: "x"))
            let stored = try await scheduler.job(submitted.id).record
            #expect(try JobRequest(json: try JSONParser.parse(stored.parameters), path: "params").backend == "fake")
            _ = try await scheduler.submit(JobRequest(prompt: "y", backend: "fake"))
        }
    }

    /// A backend that writes its own parameters text (AUTOMATIC1111's
    /// infotext) has it saved as it wrote it, with the job's pairs on its
    /// parameter line, which A1111's reader still reads.
    @Test func theBackendsOwnParametersTextIsSavedWithTheJobsPairs() async throws {
        let infotext = "a fox\nNegative prompt: rain\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 8x8, Model: sd15"
        let image = GeneratedImage(try Self.png(8), seed: 42, parameters: infotext)
        let backend = FakeBackend { _, _ throws(BackendFailure) in .images([image]) }
        try await Self.running(backend) { scheduler, _ in
            let submitted = try await scheduler.submit(JobRequest(prompt: "a fox"))
            let job = try await Self.finished(scheduler, submitted.id)
            #expect(job.state == .succeeded, "\(job)")
            let saved = try PNGCodec.decode(try FileSystem.readFile(try #require(job.paths.first)))
            let text = try #require(saved.text.first { $0.keyword == "parameters" }?.text)
            #expect(text == infotext + ", Job: \(submitted.id), Image: 1 of 1")
            let read = A1111InfotextParser.parse(text)
            #expect(read["Seed"] == "42" && read["Sampler"] == "Euler a" && read["Job"] == submitted.id, "\(read)")
            #expect(read["Prompt"] == "a fox" && read["Negative prompt"] == "rain", "\(read)")
        }
    }

    /// While a backend that reports progress generates, subscribers hear
    /// how far it is; a backend that does not is never asked.
    @Test func aRunningGenerationsProgressReachesSubscribers() async throws {
        let release = ThreadCondition(false)
        defer { release.update { $0 = true } }
        let image = GeneratedImage(try Self.png(8))
        let halfway = GenerationProgress(fraction: 0.5, remaining: .seconds(3))
        let backend = FakeBackend(reportsProgress: true, progress: { halfway }) { _, _ throws(BackendFailure) in
            await offPoolWait(release)
            return .images([image])
        }
        try await Self.running(backend) { scheduler, _ in
            let seen = ThreadCondition<[GenerationProgress]>([])
            _ = scheduler.events.subscribe { _, progress in
                if let progress { seen.update { $0.append(progress) } }
            }
            let submitted = try await scheduler.submit(JobRequest(prompt: "slow"))
            #expect(try await offPool { seen.wait(timeout: TestTime.scaled(.seconds(30))) { !$0.isEmpty } }, "progress while it runs")
            release.update { $0 = true }
            #expect(try await Self.finished(scheduler, submitted.id).state == .succeeded)
            #expect(seen.read { $0.first } == halfway)
        }
        let quiet = FakeBackend { _, _ throws(BackendFailure) in .images([image]) }
        let quick = try await Self.running(quiet) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "quick")).id).state
        }
        #expect(quick == .succeeded)
        #expect(quiet.progressAsked == 0)
    }

    @Test func urlsAreFetchedThroughTheBackend() async throws {
        let png = try Self.png(8).bytes
        let backend = FakeBackend(delivery: .urls, downloads: ["u1": png, "u2": png]) { _, _ throws(BackendFailure) in .urls(["u1", "u2"]) }
        let job = try await Self.running(backend) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "two", imageCount: 2)).id)
        }
        #expect(job.state == .succeeded, "\(job)")
        #expect(backend.fetched == ["u1", "u2"])
        #expect(job.paths.count == 2)
    }

    @Test func aRemoteJobIsFollowedUntilItHasImages() async throws {
        let image = try Self.png(8)
        let polls = Lock(0)
        let backend = FakeBackend(delivery: .remoteJob, follow: { id throws(BackendFailure) in
            #expect(id == "r-1")
            return polls.withLock { polls in
                polls += 1
                return polls < 3 ? .remote(id: id) : .images([GeneratedImage(image)])
            }
        }) { _, _ throws(BackendFailure) in .remote(id: "r-1") }
        let job = try await Self.running(backend) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "later")).id)
        }
        #expect(job.state == .succeeded, "\(job)")
        #expect(polls.withLock { $0 } == 3)
        #expect(job.paths.count == 1)
    }

    @Test func whatTheBackendReportsAFollowedJobCostIsItsUsage() async throws {
        let image = try Self.png(8)
        let cost = GenerationCost(tokens: TokenCounts(input: 3, output: 272, total: 275), duration: .milliseconds(4_250))
        let backend = FakeBackend(delivery: .remoteJob, follow: { _ throws(BackendFailure) in .images([GeneratedImage(image)], cost: cost) }) {
            _, _ throws(BackendFailure) in .remote(id: "r-1")
        }
        let usage = try await Self.running(backend) { scheduler, _ in
            #expect(try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "later")).id).state == .succeeded)
            return try await scheduler.usage(from: "")
        }
        #expect(usage.map(\.milliseconds) == [4_250], "the backend's own time stands for the daemon's measure")
        #expect(usage.map(\.tokens) == [cost.tokens] && usage.map(\.images) == [1])
    }

    @Test func aShortAnswerIsMadeUpByTheNextAttempt() async throws {
        let image = try Self.png(8)
        let backend = FakeBackend { request, before throws(BackendFailure) in
            // The first call gives one image of the two asked; the next, what is left.
            .images(Array(repeating: GeneratedImage(image), count: before == 0 ? 1 : request.count))
        }
        let job = try await Self.running(backend) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "two", imageCount: 2)).id)
        }
        #expect(job.state == .succeeded, "\(job)")
        #expect(backend.requests.map(\.count) == [2, 1], "the image saved from the first answer is not asked for again")
        #expect(job.paths.count == 2)
    }

    @Test func aPermanentFailureFailsTheJobSayingWhy() async throws {
        let failure = BackendFailure.permanent("the model was removed")
        let backend = FakeBackend { _, _ throws(BackendFailure) in throw failure }
        let job = try await Self.running(backend) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "x")).id)
        }
        #expect(job.state == .failed)
        #expect(job.kind == .permanent)
        #expect(job.message == failure.description)
        #expect(backend.requests.count == 1, "not retried")
    }

    /// A used-up quota (OpenAI's insufficient_quota) pauses the backend's
    /// jobs as a refused key does: no attempt spent, nothing failed, until
    /// the key is set again.
    @Test func aUsedUpQuotaPausesTheBackendLikeARefusedKey() async throws {
        let keys = RefusableKey()
        let backend = FakeBackend { _, _ throws(BackendFailure) in throw .quota("no credit left") }
        let job = try await Self.running(backend, keys: keys) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "x")).id)
        }
        #expect(job.state == .queued, "waiting, not failed")
        #expect(job.kind == .quota)
        #expect(keys.reason == "the account's quota is used up: no credit left")
        #expect(backend.requests.count == 1, "nothing more is sent while it waits")
        // So on a backend that can work without a key (OpenAI's shape): its
        // refused key holds its jobs too, rather than sending them keyless.
        let keyless = FakeBackend(requiresKey: false) { _, _ throws(BackendFailure) in throw .quota("no credit left") }
        let held = try await Self.running(keyless, keys: RefusableKey()) { scheduler, _ in
            let id = try await scheduler.submit(JobRequest(prompt: "x")).id
            _ = try await offPool {
                let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
                while keyless.requests.isEmpty, MonotonicInstant.now() < deadline { pauseBriefly() }
            }
            return try await scheduler.wait(id, timeout: .milliseconds(300)).job.record
        }
        #expect(held.state == .queued && held.error?.kind == .quota, "\(held)")
        #expect(keyless.requests.count == 1)
    }

    @Test func aCorruptImageInTheAnswerIsMadeAgain() async throws {
        var damaged = try PNGCodec.encode(RGBAImage(width: 64, height: 64, fill: (1, 2, 3, 255)))
        damaged[damaged.count - 20] ^= 0x5A
        let corrupt = try #require(FetchedImage(checking: damaged))
        let good = try Self.png(8)
        let backend = FakeBackend { _, before throws(BackendFailure) in .images([GeneratedImage(before == 0 ? corrupt : good)]) }
        let job = try await Self.running(backend) { scheduler, _ in
            try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "x")).id)
        }
        #expect(job.state == .succeeded, "\(job)")
        #expect(backend.requests.count == 2)
    }

    /// The images of one answer are recorded together; one that is corrupt
    /// still leaves those before it saved, and only the rest are made again.
    @Test func imagesBeforeACorruptOneInTheAnswerStaySaved() async throws {
        var damaged = try PNGCodec.encode(RGBAImage(width: 64, height: 64, fill: (1, 2, 3, 255)))
        damaged[damaged.count - 20] ^= 0x5A
        let corrupt = GeneratedImage(try #require(FetchedImage(checking: damaged)))
        let good = GeneratedImage(try Self.png(8))
        let backend = FakeBackend { request, before throws(BackendFailure) in
            .images(before == 0 ? [good, corrupt, good] : Array(repeating: good, count: request.count))
        }
        try await Self.running(backend) { scheduler, _ in
            let job = try await Self.finished(scheduler, try await scheduler.submit(JobRequest(prompt: "x", imageCount: 3)).id)
            #expect(job.state == .succeeded, "\(job)")
            #expect(backend.requests.map(\.count) == [3, 2], "the first image is not made again")
            #expect(job.paths.count == 3)
            for path in job.paths { #expect(try FileSystem.status(path)?.kind == .regular, "\(path)") }
        }
    }
}
