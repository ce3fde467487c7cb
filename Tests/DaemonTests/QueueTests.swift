@testable import Daemon
import Imaging
import JSON
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// The main job, in-process: submit to a daemon on its embedded emulator,
/// wait, find the images with their parameters.
@Suite struct QueueTests {
    static func onEmulator(_ faults: String? = nil) -> (inout DaemonOptions) -> Void {
        { options in
            options.upstream = "emulator"
            if let faults, let json = try? JSONParser.parse(faults), let plan = try? options.emulatorFaults.updated(with: json) {
                options.emulatorFaults = plan
            }
            options.requestsPerMinute = 0
        }
    }

    @Test func aJobOfSevenImagesIsTwoRequestsAndSevenStampedFiles() async throws {
        let (submitted, finished, files) = try await withInProcessDaemon(Self.onEmulator()) { client, folder in
            let submitted = try client.call(
                JobSubmit.self, JobParameters(prompt: "a lighthouse at dusk", negativePrompt: "blurry", imageCount: 7, labels: ["coast"])
            )
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 30), timeout: .seconds(40))
            let files = try finished.job.images.map { image -> (String, [PNGCodec.TextChunk]) in
                let path = try #require(image.path)
                return (path, try PNGCodec.decode(try FileSystem.readFile(path)).text)
            }
            return (submitted, finished, files)
        }
        #expect(submitted.state == "queued")
        #expect(!submitted.existing)
        #expect(!finished.timedOut)
        #expect(finished.job.state == "succeeded")
        #expect(finished.job.imagesDone == 7)
        #expect(finished.job.params.model == "anything_V5", "defaults are filled in and shown")
        #expect(files.count == 7)
        for (index, (path, chunks)) in files.enumerated() {
            #expect(path.hasSuffix("/\(submitted.id)-\(index + 1).png"))
            let parameters = try #require(chunks.first { $0.keyword == "parameters" }?.text)
            #expect(parameters.hasPrefix("a lighthouse at dusk\nNegative prompt: blurry\nSteps: 30, Sampler: Euler, CFG scale: 10, Size: 512x512, Model: anything_V5"))
            #expect(parameters.contains("Job: \(submitted.id), Image: \(index + 1) of 7"))
        }
    }
}
