import Imaging
import Jobs
@testable import JobStore
import PluginHost
import Posix
@testable import Scheduler
import Testing
import TestSupport

@Suite struct RetryPolicyTests {
    @Test func fullJitterStaysUnderADoublingBoundAndTheCap() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1, random: 0) == .zero)
        #expect(policy.delay(afterAttempt: 1, random: 1) == .seconds(2))
        #expect(policy.delay(afterAttempt: 3, random: 1) == .seconds(8))
        #expect(policy.delay(afterAttempt: 3, random: 0.5) == .seconds(4))
        #expect(policy.delay(afterAttempt: 30, random: 1) == .seconds(300), "capped")
        #expect(policy.delay(afterAttempt: 1000, random: 1) == .seconds(300), "no overflow")
        #expect(policy.delay(afterAttempt: 2, random: 7) == .seconds(4), "random is clamped")
    }
}

@Suite struct RepeatedMessageLogTests {
    @Test func aRepeatedMessageIsWrittenOncePerPeriodWithTheCountHeldBack() {
        let start = MonotonicInstant.now()
        let offset = ThreadCondition(Duration.zero)
        let written = ThreadCondition<[String]>([])
        let log = RepeatedMessageLog(period: .seconds(60), clock: { start.advanced(by: offset.read { $0 }) }) { line in
            written.update { $0.append(line) }
        }
        for _ in 0..<1000 { log.log("upstream down") }
        log.log("another message")
        #expect(written.read { $0 } == ["upstream down", "another message"])
        offset.update { $0 = .seconds(61) }
        log.log("upstream down")
        log.log("upstream down")
        #expect(written.read { $0 }.last == "upstream down (999 more like it since the last)")
        #expect(written.read { $0 }.count == 3)
    }
}

@Suite struct A1111ParametersTests {
    /// What A1111's own reader makes of the text (a port of it).
    private func read(
        _ parameters: JobRequest, width: Int = 512, height: Int = 768, postprocessing: [(step: PluginStep, options: [PluginOption]?)] = []
    ) -> [String: String] {
        A1111InfotextParser.parse(A1111Parameters.text(for: parameters, jobID: "01J", index: 1, width: width, height: height, postprocessing: postprocessing))
    }

    @Test func readsLikeAutomatic1111() {
        let parameters = JobRequest(prompt: "a lighthouse", negativePrompt: "fog, rain", model: "anything_V5", sampler: "DPM++ 2M Karras", imageCount: 3, cfgScale: 7, steps: 20)
        let text = A1111Parameters.text(for: parameters, jobID: "01J", index: 1, width: 512, height: 768)
        #expect(text == "a lighthouse\nNegative prompt: fog, rain\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Size: 512x768, Model: anything_V5, Job: 01J, Image: 2 of 3")
        let read = read(parameters)
        #expect(read == [
            "Prompt": "a lighthouse", "Negative prompt": "fog, rain", "Steps": "20", "Sampler": "DPM++ 2M Karras", "CFG scale": "7", "Size-1": "512",
            "Size-2": "768", "Model": "anything_V5", "Job": "01J", "Image": "2 of 3",
        ])
    }

    @Test func imagePluginStepsArePairsOnTheOneParameterLine() throws {
        let parameters = JobRequest(prompt: "a fox", model: "m", sampler: "Euler", cfgScale: 7, steps: 20)
        let upscale = [PluginOption(name: "scale", kind: .integer, range: 2...4, infotext: "Postprocess upscale by")]
        let steps: [(step: PluginStep, options: [PluginOption]?)] = [
            (try PluginStep(parsing: "upscale:scale=2"), upscale), (try PluginStep(parsing: #"echo-test:{"note":"a, b","strength":1}"#), nil),
        ]
        let text = A1111Parameters.text(for: parameters, jobID: "01J", index: 0, width: 1024, height: 1024, postprocessing: steps)
        #expect(text.split(separator: "\n").count == 2, "prompt and one parameter line: \(text)")
        let read = A1111InfotextParser.parse(text)
        #expect(read["Prompt"] == "a fox")
        #expect(read["Steps"] == "20" && read["Sampler"] == "Euler" && read["CFG scale"] == "7" && read["Model"] == "m")
        #expect(read["Size-1"] == "1024" && read["Size-2"] == "1024", "the saved image's size")
        #expect(read["Postprocessing"] == "upscale, echo-test")
        #expect(read["Postprocess upscale by"] == "2", "the key the plugin declares, as A1111 names it")
        #expect(read["Postprocess echo-test note"] == "a, b", "a value with a comma is quoted and read back")
        #expect(read["Postprocess echo-test strength"] == "1")
    }

    @Test func noInventedModelAndImageToImageIsNamed() {
        let parameters = JobRequest(prompt: "x", cfgScale: 7.5, steps: 50, initImage: "/in.png")
        let text = A1111Parameters.text(for: parameters, jobID: "J", index: 0, width: 64, height: 64)
        #expect(text == "x\nSteps: 50, CFG scale: 7.5, Size: 64x64, Denoising source: init image, Job: J, Image: 1 of 1")
        #expect(A1111InfotextParser.parse(text)["Model"] == nil)
        let odd = JobRequest(prompt: "y", model: "a, b", sampler: #"say "hi": now"#)
        #expect(read(odd)["Model"] == "a, b")
        #expect(read(odd)["Sampler"] == #"say "hi": now"#)
    }

    @Test(arguments: [
        ("a fox,\nin the snow, \"quoted\"", "blurry,\nlow quality"),
        ("灯台、夕暮れ: 海 🌊", "ぼやけ, 低品質"),
        ("a sign reading Negative prompt: none", ""),
        ("line one\nNegative prompt: not really\nline three", "real negative"),
        ("  leading and trailing  ", ""),
        ("\nstarts with a newline", " spaced negative"),
        ("windows\r\nline ends", "Negative prompt: twice"),
        ("Steps: 1, Sampler: x, CFG scale: 2", "Size: 1x1, Model: y, Job: z"),
        ("tab\tand \\ backslash", "\u{1}control"),
    ])
    func promptsRoundTripThroughA1111sReader(prompt: String, negative: String) {
        let parameters = JobRequest(prompt: prompt, negativePrompt: negative, model: "anything_V5", sampler: "Euler a", cfgScale: 7, steps: 20)
        let read = read(parameters)
        #expect(read["Prompt"] == prompt)
        #expect(read["Negative prompt"] == negative)
        #expect(read["Steps"] == "20" && read["Sampler"] == "Euler a" && read["CFG scale"] == "7" && read["Model"] == "anything_V5")
        #expect(read["Size-1"] == "512" && read["Size-2"] == "768" && read["Job"] == "01J" && read["Image"] == "2 of 1")
    }
}

@Suite struct UpstreamGateTests {
    @Test func atMostNInFlight() async throws {
        let gate = UpstreamGate(maximumInFlight: 2, requestsPerMinute: 0)
        try await gate.acquire(generation: true)
        try await gate.acquire(generation: false)
        let third = Task { try await gate.acquire(generation: true) }
        pauseBriefly(milliseconds: 50)
        // Still waiting: release one slot and it gets it.
        gate.release()
        try await third.value
        gate.release()
        gate.release()
    }

    @Test func aWaitingAcquireCanBeCancelled() async throws {
        let gate = UpstreamGate(maximumInFlight: 1, requestsPerMinute: 0)
        try await gate.acquire(generation: true)
        let waiting = Task { try await gate.acquire(generation: true) }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        gate.release()
    }

    @Test func thePerMinuteLimitAndPausesHoldGenerationsOnly() async throws {
        let gate = UpstreamGate(maximumInFlight: 10, requestsPerMinute: 2)
        try await gate.acquire(generation: true)
        try await gate.acquire(generation: true)
        let started = MonotonicInstant.now()
        let third = Task { try await gate.acquire(generation: true) }
        try await gate.acquire(generation: false)  // downloads are not counted
        #expect(started.elapsed < .seconds(30), "not the minute a counted request would wait")
        third.cancel()
        _ = try? await third.value
        gate.pause(until: MonotonicInstant.now().advanced(by: .seconds(30)))
        #expect(gate.pausedUntil != nil)
    }
}

@Suite struct JobEventHubTests {
    func record(_ id: String, _ state: JobState) -> JobRecord {
        JobRecord(
            id: id, state: state, priority: 0, parameters: "{}", prompt: "p", labels: [], outputDirectory: nil, idempotencyKey: nil,
            imageCount: 1, attempts: 0, nextAttemptAt: nil, error: nil, createdAt: 0, updatedAt: 0, startedAt: nil, finishedAt: nil, images: []
        )
    }

    /// Starts a wait on `id` and returns once the waiter is in place (the
    /// hub asks `isTerminal` only after registering it).
    func startWaiting(_ hub: JobEventHub, _ id: String) async throws -> Task<Bool, Never> {
        let registered = ThreadCondition(false)
        let waiter = Task {
            await hub.waitForTerminal(id, timeout: TestTime.scaled(.seconds(120))) {
                registered.update { $0 = true }
                return false
            }
        }
        #expect(try await offPool { registered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 } })
        return waiter
    }

    @Test func waitersHearTheEndAndSubscribersEverything() async throws {
        let hub = JobEventHub()
        let seen = ThreadCondition<[String]>([])
        let subscription = hub.subscribe { job, _ in seen.update { $0.append("\(job.id):\(job.state.rawValue)") } }
        let waiter = try await startWaiting(hub, "a")
        hub.publish(record("a", .running))
        hub.publish(record("b", .succeeded))
        hub.publish(record("a", .succeeded))
        #expect(await waiter.value == true)
        hub.unsubscribe(subscription)
        hub.publish(record("c", .queued))
        #expect(seen.read { $0 } == ["a:running", "b:succeeded", "a:succeeded"])
    }

    @Test func aWaiterCanAskForMoreThanTheEnd() async throws {
        let hub = JobEventHub()
        let registered = ThreadCondition(false)
        let waiter = Task {
            await hub.waitForTerminal("k", timeout: TestTime.scaled(.seconds(120)), ends: { $0.state == .queued }) {
                registered.update { $0 = true }
                return false
            }
        }
        #expect(try await offPool { registered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 } })
        hub.publish(record("k", .running))
        hub.publish(record("k", .queued))
        #expect(await waiter.value == true)
    }

    @Test func timeoutsAndReleaseAnswerFalse() async throws {
        let hub = JobEventHub()
        #expect(await hub.waitForTerminal("x", timeout: .milliseconds(20)) { false } == false)
        #expect(await hub.waitForTerminal("x", timeout: TestTime.scaled(.seconds(30))) { true } == true, "already finished")
        let waiter = try await startWaiting(hub, "y")
        hub.releaseWaiters()
        #expect(await waiter.value == false)
    }
}
