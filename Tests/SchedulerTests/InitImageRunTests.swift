import Backends
import Imaging
import Jobs
import JobStore
import Posix
import Scheduler
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job whose init image never finishes reading (a hung network file
/// system) holds neither a cancel nor a stop of the queue.
@Suite struct InitImageRunTests {
    /// No request gets that far.
    static let unreachable = FakeBackend { _, _ throws(BackendFailure) in
        Issue.record("a generation was asked for")
        throw .permanent("unreachable")
    }

    /// With as many reads hung as the reader allows, a submit is refused
    /// with the reason instead of waiting or being accepted unchecked.
    @Test func aSubmitWhileReadsAreStuckIsRefusedSayingWhy() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let image = folder.file("in.png")
        try FileSystem.writeFileAtomically(image, try PNGCodec.encode(RGBAImage(width: 8, height: 8)))
        let release = ThreadCondition(false)
        let entered = ThreadCondition(0)
        defer { release.update { $0 = true } }
        let reader = InitImageReader(timeout: .seconds(600)) { _, _ in
            entered.update { $0 += 1 }
            _ = release.wait { $0 }
            return .failure(.system(SystemError(code: EIO, function: "read")))
        }
        var configuration = SchedulerConfiguration(outputDirectory: folder.file("images"))
        configuration.imageLimits = ImageLimits(memoryBudget: 64 << 20, maximumInputPixels: 16 * ImageLimits.megapixel, maximumOutputPixels: 64 * ImageLimits.megapixel)
        configuration.requestsPerMinute = 0
        configuration.maximumInFlight = InitImageReader.maximumUnfinished
        let store = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { store.close() }
        let scheduler = JobScheduler(
            store: store, backend: Self.unreachable, initImages: reader, keys: FixedKey(), configuration: configuration
        ) { _ in }
        try await offPool { try scheduler.start() }
        for index in 0..<InitImageReader.maximumUnfinished {
            _ = try await scheduler.submit(JobRequest(prompt: "night \(index)", initImage: image))
        }
        let limit = InitImageReader.maximumUnfinished
        #expect(try await offPool { entered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == limit } })
        await #expect(throws: ParameterProblem(
            field: "init_images",
            message: "\(image): \(limit) earlier reads of init images have not returned (a hung network file system?); not starting another"
        )) {
            _ = try await scheduler.submit(JobRequest(prompt: "one more", initImage: image))
        }
        await scheduler.stop()
    }

    @Test func aHungReadEndsAtACancelAndDoesNotHoldTheStop() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let image = folder.file("in.png")
        try FileSystem.writeFileAtomically(image, try PNGCodec.encode(RGBAImage(width: 8, height: 8)))
        let release = ThreadCondition(false)
        let entered = ThreadCondition(0)
        defer { release.update { $0 = true } }
        let reader = InitImageReader(timeout: .seconds(600)) { _, _ in
            entered.update { $0 += 1 }
            _ = release.wait { $0 }
            return .failure(.system(SystemError(code: EIO, function: "read")))
        }
        var configuration = SchedulerConfiguration(outputDirectory: folder.file("images"))
        configuration.imageLimits = ImageLimits(memoryBudget: 64 << 20, maximumInputPixels: 16 * ImageLimits.megapixel, maximumOutputPixels: 64 * ImageLimits.megapixel)
        configuration.requestsPerMinute = 0
        let store = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { store.close() }
        let scheduler = JobScheduler(
            store: store, backend: Self.unreachable, initImages: reader, keys: FixedKey(), configuration: configuration
        ) { _ in }
        try await offPool { try scheduler.start() }

        let first = try await scheduler.submit(JobRequest(prompt: "night", initImage: image))
        #expect(try await offPool { entered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 1 } }, "the job is reading")
        let cancelled = try await scheduler.cancel(first.id)
        #expect(cancelled.state == .cancelled)
        let freed = try await offPool {
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(60)))
            while scheduler.runningCount > 0, MonotonicInstant.now() < deadline { pauseBriefly() }
            return scheduler.runningCount == 0
        }
        #expect(freed, "the cancel ended the job long before the 600 s limit, its read still hung")

        _ = try await scheduler.submit(JobRequest(prompt: "night again", initImage: image))
        #expect(try await offPool { entered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 2 } })
        let stopped = ThreadCondition(false)
        Task {
            await scheduler.stop()
            stopped.update { $0 = true }
        }
        #expect(try await offPool { stopped.wait(timeout: TestTime.scaled(.seconds(60))) { $0 } }, "the stop did not wait for the 600 s read")
        #expect(reader.unfinishedReads == 2, "both reads still hung: abandoned, holding only their threads")
    }
}
