@testable import Daemon
import Imaging
import Jobs
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// Images that arrive corrupt: downloaded again first, made again at most
/// once, then the job fails with the decoder's reason.
@Suite struct CorruptImageTests {
    /// The emulator's successful generations and image downloads.
    static func requests(_ client: RPCClient) throws -> (generations: Int, downloads: Int) {
        (try emulatorCounts(client, "/generate")["200"] ?? 0, try emulatorCounts(client, "/images")["200"] ?? 0)
    }

    @Test(arguments: [[], ["upscale:scale=2"]])
    func aCorruptImageIsFetchedAgainMadeOnceMoreThenFailsWithTheReason(plugins: [String]) async throws {
        let (job, requests) = try await withInProcessDaemon(SchedulerBehaviourTests.fast(#"{"corrupt_download_rate":1}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a damaged fox", plugins: try plugins.map { try PluginStep(parsing: $0) }))
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70)))
            return (finished.job, try Self.requests(client))
        }
        #expect(job.state == .failed)
        #expect(job.error?.kind == .image)
        let message = job.error?.message ?? ""
        #expect(message.contains("CRC error"), "the decoder's reason: \(message)")
        #expect(message.contains("image 1"), "\(message)")
        #expect(requests.generations == 2, "made once more, not up to the attempt limit: \(requests)")
        #expect(requests.downloads == 6, "each made image downloaded three times (the download tries): \(requests)")
    }

    /// Whether the image was made again already is kept with the job: a
    /// daemon started after the first remake does not remake it again.
    @Test func theOneRemakeSurvivesARestart() async throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        func configure(requestsPerMinute: Int) -> (inout DaemonOptions) -> Void {
            { options in
                SchedulerBehaviourTests.fast(#"{"corrupt_download_rate":1}"#)(&options)
                options.stateDirectory = state.file("state")
                options.set("jobs.output_dir", state.file("images"))
                options.set("queue.requests_per_minute", requestsPerMinute)
            }
        }
        // One generation a minute: the remake is decided, then its request
        // waits in the daemon's pacing until this daemon stops.
        let id = try await withInProcessDaemon(configure(requestsPerMinute: 1)) { client, _ -> String in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a damaged owl"))
            let remade = try eventually { try client.call(JobGet.self, .init(id: submitted.id)).error?.kind == .image }
            #expect(remade, "the image was given up for remaking")
            #expect(try Self.requests(client) == (1, 3))
            return submitted.id
        }
        let (job, requests) = try await withInProcessDaemon(configure(requestsPerMinute: 0)) { client, _ in
            let finished = try client.call(JobWait.self, .init(id: id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70)))
            return (finished.job, try Self.requests(client))
        }
        #expect(job.state == .failed)
        #expect(job.error?.kind == .image)
        #expect(requests == (1, 3), "the remake, and no other, across the restart: \(requests)")
    }
}

/// Decompression bombs: refused from the header when they would be decoded,
/// saved as they came when nothing decodes them.
@Suite struct ImageBombTests {
    @Test func aBombThroughAPluginFailsAtOnceNamingTheLimit() async throws {
        let (job, requests) = try await withInProcessDaemon(SchedulerBehaviourTests.fast(#"{"bomb_download_rate":1}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a bomb", plugins: [try PluginStep(parsing: "upscale:scale=2")]))
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40)))
            return (finished.job, try CorruptImageTests.requests(client))
        }
        #expect(job.state == .failed)
        #expect(job.error?.kind == .image)
        #expect(job.error?.message.hasPrefix("image 1: it is 8192x8192 (64 megapixels), more than images may have to go through image plugins") == true, "\(job.error?.message ?? "")")
        #expect(job.error?.message.contains("--max-input-megapixels") == true)
        #expect(requests == (1, 1), "refused at once: not downloaded again, not made again")
    }

    @Test func aBombWithoutPluginsIsSavedAsItCame() async throws {
        let (job, size) = try await withInProcessDaemon(SchedulerBehaviourTests.fast(#"{"bomb_download_rate":1,"bomb_side":4096}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a bomb, untouched"))
            let job = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job
            let path = try #require(job.images.first?.path)
            return (job, try PNGCodec.verify(try FileSystem.readFile(path)))
        }
        #expect(job.state == .succeeded)
        #expect(size == (4096, 4096), "checked whole, stamped, never decoded")
    }
}
