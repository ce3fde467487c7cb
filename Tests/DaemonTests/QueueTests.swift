@testable import Daemon
import Imaging
import Jobs
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
            options.set("upstream.url", "emulator")
            if let faults, let json = try? JSONParser.parse(faults), let plan = try? options.emulatorFaults.updated(with: json) {
                options.emulatorFaults = plan
            }
            options.set("queue.requests_per_minute", 0)
        }
    }

    @Test func aJobOfSevenImagesIsTwoRequestsAndSevenStampedFiles() async throws {
        let (submitted, finished, files) = try await withInProcessDaemon(Self.onEmulator()) { client, folder in
            let submitted = try client.call(
                JobSubmit.self, JobRequest(prompt: "a lighthouse at dusk", negativePrompt: "blurry", imageCount: 7, labels: ["coast"])
            )
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40)))
            let files = try finished.job.images.map { image -> (String, [PNGCodec.TextChunk]) in
                let path = try #require(image.path)
                return (path, try PNGCodec.decode(try FileSystem.readFile(path)).text)
            }
            return (submitted, finished, files)
        }
        #expect(submitted.state == .queued)
        #expect(!submitted.existing)
        #expect(!finished.timedOut)
        #expect(finished.job.state == .succeeded)
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

/// Polls `condition` every few milliseconds until it holds or `timeout`
/// passes (for states the protocol has no event for yet).
func eventually(timeout: Duration = TestTime.scaled(.seconds(60)), _ condition: () throws -> Bool) throws -> Bool {
    let started = MonotonicInstant.now()
    while started.elapsed < timeout {
        if try condition() { return true }
        pauseBriefly(milliseconds: 5)
    }
    return false
}

/// The emulator's answer counts for an endpoint, by status.
func emulatorCounts(_ client: RPCClient, _ endpoint: String) throws -> [String: Int] {
    let url = try client.call(DaemonStatus.self, NoParameters()).upstream!.url
    guard let port = url.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw TestFailure("no port in \(url)") }
    let stats = try JSONParser.parse(try RawHTTPClient(port: port).request("GET", "/_emulator/stats").body)
    var counts: [String: Int] = [:]
    for (status, count) in stats["requests"]?[endpoint]?.objectValue ?? [:] { counts[status] = count.intValue }
    return counts
}

/// Posts to the embedded emulator's administration endpoint.
func emulatorAdmin(_ client: RPCClient, _ path: String, _ body: String) throws {
    let url = try client.call(DaemonStatus.self, NoParameters()).upstream!.url
    guard let port = url.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw TestFailure("no port in \(url)") }
    let response = try RawHTTPClient(port: port).request("POST", path, body: body)
    guard response.status == 200 else { throw TestFailure("\(path) answered \(response.status)") }
}

@Suite struct SchedulerBehaviourTests {
    static func fast(_ faults: String? = nil) -> (inout DaemonOptions) -> Void {
        { options in
            QueueTests.onEmulator(faults)(&options)
            options.set("queue.retry_base", 0.02)
            options.set("queue.max_attempts", 50)
        }
    }

    @Test func transientFailuresAreRetriedUntilTheJobSucceeds() async throws {
        let (job, counts) = try await withInProcessDaemon(Self.fast(#"{"server_error_rate":1}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a storm", imageCount: 10))
            // Failing for a while: attempts grow, the job waits between them.
            let retried = try eventually { try client.call(JobGet.self, .init(id: submitted.id)).attempts >= 3 }
            #expect(retried)
            let waiting = try client.call(JobGet.self, .init(id: submitted.id))
            #expect(waiting.error?.kind == .transient)
            #expect(waiting.state != .failed)
            try emulatorAdmin(client, "/_emulator/faults", #"{"server_error_rate":0}"#)
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70)))
            return (finished.job, try emulatorCounts(client, "/generate"))
        }
        #expect(job.state == .succeeded)
        #expect(job.imagesDone == 10)
        #expect(counts["200"] == 2, "two good requests, no more: finished requests are not repeated")
        let failures = counts.filter { $0.key != "200" }.values.reduce(0, +)
        #expect(job.attempts == failures, "every failed request counted once: \(counts)")
    }

    @Test func failedDownloadsAreRetriedWithoutGeneratingAgain() async throws {
        let (job, generations) = try await withInProcessDaemon(Self.fast(#"{"truncated_download_rate":0.6}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "fragile", imageCount: 10))
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70)))
            return (finished.job, try emulatorCounts(client, "/generate"))
        }
        #expect(job.state == .succeeded)
        #expect(job.imagesDone == 10)
        #expect(generations == ["200": 2], "two requests made the ten images; broken downloads were fetched again, not generated again")
    }

    @Test func aRateLimitStatedInA403IsNotAKeyProblem() async throws {
        let (job, key) = try await withInProcessDaemon(Self.fast(#"{"rate_limit":{"requests":1,"seconds":1},"rate_limit_style":"403"}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "limited", imageCount: 10))
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70)))
            return (finished.job, try client.call(KeyStatus.self, KeyBackendParameters()))
        }
        #expect(job.state == .succeeded)
        #expect(job.attempts == 0)
        #expect(key.state == "set", "the key was not taken for refused")
    }

    @Test func aJobGivesUpAfterItsAttempts() async throws {
        let job = try await withInProcessDaemon({ options in
            Self.fast(#"{"server_error_rate":1}"#)(&options)
            options.set("queue.max_attempts", 3)
        }) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "never"))
            return try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job
        }
        #expect(job.state == .failed)
        #expect(job.attempts == 3)
        #expect(job.error?.message.hasPrefix("gave up after 3 attempts") == true)
        #expect(job.images.allSatisfy { $0.state == .failed })
    }

    @Test func aRateLimitPausesTheQueueForItsRetryAfterAndCostsNoAttempt() async throws {
        let started = MonotonicInstant.now()
        // An 8 s window: wide enough that a loaded machine (the whole suite
        // on two cores) still sends the third request inside it (the test is
        // about the 429 that follows).
        let (job, counts) = try await withInProcessDaemon(Self.fast(#"{"rate_limit":{"requests":2,"seconds":8}}"#)) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a queue", imageCount: 15))
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70)))
            return (finished.job, try emulatorCounts(client, "/generate"))
        }
        #expect(job.state == .succeeded)
        #expect(job.attempts == 0, "a rate limit is not a failure")
        #expect(counts["200"] == 3)
        #expect(counts["429"] == 1, "one 429, then the queue waited out Retry-After instead of asking again: \(counts)")
        #expect(started.elapsed >= .seconds(2), "the third request waited for the window")
    }

    @Test func aRevokedKeyPausesTheQueueUntilANewKeyIsSet() async throws {
        let outcome = try await withInProcessDaemon(Self.fast()) { client, _ in
            _ = try client.call(KeySet.self, .init(key: "alpha-key-0001"))
            try emulatorAdmin(client, "/_emulator/revoke", #"{"token":"alpha-key-0001"}"#)
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a key"))
            let paused = try eventually { try client.call(KeyStatus.self, KeyBackendParameters()).state == "rejected" }
            let status = try client.call(KeyStatus.self, KeyBackendParameters())
            let waiting = try client.call(JobGet.self, .init(id: submitted.id))
            let resumed = try client.call(KeySet.self, .init(key: "beta-key-0002"))
            let finished = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40)))
            return (paused, status, waiting, resumed, finished.job)
        }
        #expect(outcome.0)
        #expect(outcome.1.reason?.contains("not active") == true)
        #expect(outcome.1.masked == "...0001")
        #expect(outcome.2.state == .queued || outcome.2.state == .running)
        #expect(outcome.2.attempts == 0, "a refused key burns no attempts")
        #expect(outcome.3.state == "set")
        #expect(outcome.4.state == .succeeded)
    }

    @Test func cancellingARunningJobAbortsItsRequest() async throws {
        let started = MonotonicInstant.now()
        let (cancelled, waited) = try await withInProcessDaemon(Self.fast()) { client, _ in
            _ = try client.call(ModelsList.self, .init())  // the lists are cached before the upstream slows down
            try emulatorAdmin(client, "/_emulator/faults", #"{"latency_ms":600000}"#)
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "slow"))
            _ = try eventually { try client.call(JobGet.self, .init(id: submitted.id)).state == .running }
            let cancelled = try client.call(JobCancel.self, .init(id: submitted.id))
            let waited = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 5))
            return (cancelled, waited)
        }
        #expect(cancelled.state == .cancelled)
        #expect(waited.job.state == .cancelled)
        #expect(!waited.timedOut)
        #expect(started.elapsed < .seconds(120), "the 600 s request did not hold the cancel or the stop")
    }

    @Test func submitsAreIdempotentListableRetryableAndChecked() async throws {
        try await withInProcessDaemon(Self.fast()) { client, _ in
            let first = try client.call(JobSubmit.self, JobRequest(prompt: "once", labels: ["a"], idempotencyKey: "k-1"))
            let again = try client.call(JobSubmit.self, JobRequest(prompt: "once", labels: ["a"], idempotencyKey: "k-1"))
            #expect(again.id == first.id)
            #expect(again.existing)
            let done = try client.call(JobWait.self, .init(id: first.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40)))
            #expect(done.job.state == .succeeded)
            let other = try client.call(JobSubmit.self, JobRequest(prompt: "twice", priority: 5))
            _ = try client.call(JobWait.self, .init(id: other.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40)))

            let all = try client.call(JobList.self, .init())
            #expect(all.jobs.map(\.id) == [other.id, first.id], "newest first")
            #expect(try client.call(JobList.self, .init(label: "a")).jobs.map(\.id) == [first.id])
            #expect(try client.call(JobList.self, .init(text: "TWI")).jobs.map(\.id) == [other.id])
            let page = try client.call(JobList.self, .init(limit: 1))
            #expect(page.next == other.id)
            #expect(try client.call(JobList.self, .init(limit: 1, before: page.next)).jobs.map(\.id) == [first.id])

            // Summaries: the same jobs, only what a listing line shows.
            let summaries = try client.call("job.list", params: ["summary": true])
            guard case .array(let entries)? = summaries["jobs"] else {
                Issue.record("no jobs in \(summaries)")
                return
            }
            #expect(entries.map { $0.objectValue?.keys.sorted() ?? [] } == Array(repeating: ["created_at", "id", "image_count", "images_done", "params", "state"], count: 2))
            #expect(entries.map { $0["params"]?.objectValue?.keys ?? [] } == [["prompt"], ["prompt"]])
            #expect(try JobList.Summaries.Result(result: summaries).jobs == all.jobs.map(JobSummary.init))
            #expect(try client.call(JobList.Summaries.self, .init(label: "a", summary: true)).jobs.map(\.id) == [first.id], "filters apply as before")
            let notBoolean = serverError { _ = try client.call("job.list", params: ["summary": "yes"]) }
            #expect(notBoolean?.code == .invalidParams)
            #expect(notBoolean?.data?["field"] == "params.summary")

            let wrong = serverError { _ = try client.call(JobCancel.self, .init(id: first.id)) }
            #expect(wrong?.reason == "job_wrong_state")
            #expect(wrong?.data?["state"] == "succeeded")
            let missing = serverError { _ = try client.call(JobGet.self, .init(id: "01JD0000000000000000000000")) }
            #expect(missing?.reason == "job_not_found")

            for (params, field) in [
                (#"{"prompt":"x","cfg_scale":25}"#, "params.cfg_scale"),
                (#"{"prompt":"x","image_count":101}"#, "params.image_count"),
                (#"{"prompt":"x","model":"no_such_model"}"#, "params.model"),
                (#"{"prompt":"x","width":512}"#, "params.width"),
                (#"{"prompt":""}"#, "params.prompt"),
                (#"{"prompt":"x","promt":"y"}"#, "params.promt"),
                (#"{"prompt":"x","init_images":["relative.png"]}"#, "params.init_images"),
                (#"{"prompt":"x","init_images":["ftp://host/a.png"]}"#, "params.init_images"),
                (#"{"prompt":"x","init_images":["https://host/a.png"],"width":100}"#, "params.width"),
                (#"{"prompt":"x","steps":0}"#, "params.steps"),
                (#"{"prompt":"x","seed":7}"#, "params.seed"),
                (#"{"prompt":"x","backend":"forge"}"#, "params.backend"),
                (#"{"prompt":"\#(String(repeating: "x", count: 16_385))"}"#, "params.prompt"),
                (#"{"prompt":"x","negative_prompt":"\#(String(repeating: "x", count: 16_385))"}"#, "params.negative_prompt"),
            ] {
                let error = serverError { _ = try client.call("job.submit", params: try JSONParser.parse(params)) }
                #expect(error?.code == .invalidParams, "\(params)")
                #expect(error?.data?["field"]?.stringValue == field, "\(params): \(String(describing: error))")
            }
            let keyError = serverError { _ = try client.call(KeySet.self, .init(key: "has space")) }
            #expect(keyError?.data?["field"] == "params.key")
        }
    }
}

@Suite struct EventTests {
    @Test func subscribersHearEveryChangeOfAJob() async throws {
        let updates = try await withInProcessDaemon(QueueTests.onEmulator()) { client, folder in
            let listener = RPCClient(descriptor: try UnixSocket.connect(to: folder.file("d.sock")))
            defer { listener.close() }
            #expect(try listener.call(EventsSubscribe.self, NoParameters()).subscribed)
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "heard", imageCount: 6))
            var updates: [JobUpdated] = []
            while updates.last?.state != .succeeded {
                guard let notification = try listener.nextNotification(timeout: TestTime.scaled(.seconds(20))) else { throw TestFailure("no event") }
                #expect(notification.method == JobUpdated.method)
                updates.append(try JobUpdated(params: notification.params ?? .null))
            }
            #expect(updates.allSatisfy { $0.id == submitted.id })
            #expect(try listener.call(EventsUnsubscribe.self, NoParameters()).subscribed == false)
            return updates
        }
        #expect(updates.first?.state == .queued)
        #expect(updates.contains { $0.state == .running })
        #expect(updates.map(\.imagesDone) == updates.map(\.imagesDone).sorted(), "images done only grows")
        #expect(updates.last?.imagesDone == 6)
        #expect(updates.last?.imageCount == 6)
    }

    @Test func aSubscriberThatDoesNotReadLosesEventsNotTheDaemon() async throws {
        let (dropped, statusTime) = try await withInProcessDaemon({ options in
            QueueTests.onEmulator()(&options)
            options.eventBufferLimit = 1024
            options.set("queue.max_in_flight", 8)
        }) { client, folder in
            let stalled = try LineClient(path: folder.file("d.sock"))
            defer { stalled.close() }
            try stalled.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#)
            _ = try stalled.readLine()
            // Enough events to fill the socket's buffer and then ours, unread.
            var ids: [String] = []
            for index in 0..<400 {
                ids.append(try client.call(JobSubmit.self, JobRequest(prompt: "flood \(index)", labels: ["flood"])).id)
            }
            for id in ids { _ = try client.call(JobWait.self, .init(id: id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70))) }
            let started = MonotonicInstant.now()
            _ = try client.call(DaemonStatus.self, NoParameters())
            let statusTime = started.elapsed
            // Catch up with what was kept, then one more job: its first
            // event comes after the notice of what was missed.
            var dropped: Int?
            func take(_ message: JSON) {
                if message["method"] == "events.dropped" { dropped = (dropped ?? 0) + (message["params"]?["count"]?.intValue ?? 0) }
            }
            while let line = try? stalled.readLine(timeout: .milliseconds(500)) { take(try JSONParser.parse(line)) }
            let marker = try client.call(JobSubmit.self, JobRequest(prompt: "marker")).id
            while true {
                let message = try JSONParser.parse(try stalled.readLine(timeout: TestTime.scaled(.seconds(20))))
                take(message)
                if message["params"]?["id"]?.stringValue == marker, message["params"]?["state"] == "succeeded" { break }
            }
            return (dropped, statusTime)
        }
        #expect((dropped ?? 0) > 0, "the slow subscriber was told it missed events")
        #expect(statusTime < .seconds(1), "the daemon kept answering others")
    }
}
