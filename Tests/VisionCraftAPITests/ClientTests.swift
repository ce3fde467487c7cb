import Backends
import HTTPClient
import HTTPServer
import Imaging
import Jobs
import JSON
import Posix
import Synchronization
import Testing
import TestSupport
import VisionCraftAPI
@testable import VisionCraftEmulator

/// A client for an emulator.
func client(_ emulator: VisionCraftEmulator, maximumImageBytes: Int = 32 << 20) throws -> VisionCraftClient {
    VisionCraftClient(
        configuration: .init(baseURL: emulator.baseURL, timeouts: .init(total: .seconds(60)), maximumImageBytes: maximumImageBytes),
        http: try HTTPClient()
    )
}

func emulator(_ faults: JSON = [:], tokens: VisionCraftEmulator.TokenPolicy = .any) throws -> VisionCraftEmulator {
    let emulator = try VisionCraftEmulator(configuration: .init(tokens: tokens, faults: try FaultPlan().updated(with: faults)))
    try emulator.start()
    return emulator
}

let parameters = GenerationParameters(prompt: "a lighthouse", model: "anything_V5", sampler: "Euler", imageCount: 2)

/// The upstream error of a generation, or nil on success.
func generationError(_ client: VisionCraftClient, _ parameters: GenerationParameters = parameters, key: String = "k3y-value") async -> UpstreamError? {
    do {
        _ = try await client.generate(parameters, key: key)
        return nil
    } catch {
        return error
    }
}

@Suite struct VisionCraftClientTests {
    @Test func listsAreFetchedOnceAndCached() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        #expect(try await api.models().count == 58)
        #expect(try await api.samplers().count == 19)
        _ = try await api.models()
        #expect(server.statistics["/models"]?[200] == 1, "cached")
        api.invalidateCatalog()
        _ = try await api.models()
        #expect(server.statistics["/models"]?[200] == 2)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await api.models().count } }
            for try await count in group { #expect(count == 58) }
        }
        #expect(server.statistics["/models"]?[200] == 1, "one fetch for twenty callers")
    }

    @Test func aFailedFetchIsRememberedForAWhile() async throws {
        let requests = Mutex(0)
        let server = try HTTPServer { _ in
            requests.withLock { $0 += 1 }
            return .response(.text("down", status: .serviceUnavailable))
        }
        try server.start()
        defer { server.stop() }
        let api = VisionCraftClient(configuration: .init(baseURL: server.baseURL), http: try HTTPClient())
        for _ in 0..<5 {
            await #expect(throws: UpstreamError.self) { _ = try await api.samplers() }
        }
        #expect(requests.withLock { $0 } == 1, "a down upstream is asked once per \(VisionCraftClient.catalogRetryDelay), not per call")
        api.invalidateCatalog()
        await #expect(throws: UpstreamError.self) { _ = try await api.samplers() }
        #expect(requests.withLock { $0 } == 2, "a refresh asks again")
    }

    /// The client looks the names up; the ranges are the job's rules,
    /// checked at submit (`JobRequest.check(against:)`).
    @Test(arguments: [
        (GenerationParameters(prompt: "x", model: "nope_v1", sampler: "Euler"), "model"),
        (GenerationParameters(prompt: "x", model: "anything_V5", sampler: "Euler zzz"), "sampler"),
    ])
    func validationNamesTheField(parameters: GenerationParameters, field: String) async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        do {
            _ = try await api.validated(parameters)
            Issue.record("accepted")
        } catch let problem as ParameterProblem {
            #expect(problem.field == field)
        }
        if field == "model" {
            #expect(server.statistics["/models"]?[200] == 2, "an unknown name refreshes the lists once")
        }
    }

    @Test func namesInAnyCaseComeBackAsTheListsSpellThem() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        let checked = try await api.validated(GenerationParameters(prompt: "x", model: "ANYTHING_v5", sampler: "euler A"))
        #expect(checked.model == "anything_V5")
        #expect(checked.sampler == "Euler a")
        await #expect(throws: ParameterProblem(field: "model", message: "unknown model 'anythng_V5': did you mean 'anything_V5'? (vcctl models lists them)")) {
            _ = try await api.validated(GenerationParameters(prompt: "x", model: "anythng_V5", sampler: "Euler"))
        }
        await #expect(throws: ParameterProblem(field: "sampler", message: "unknown sampler 'Eulr a': did you mean 'Euler a'? (vcctl samplers lists them)")) {
            _ = try await api.validated(GenerationParameters(prompt: "x", model: "anything_V5", sampler: "Eulr a"))
        }
    }

    @Test func generatesAndFetchesTheImages() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        _ = try await api.validated(parameters)
        let urls = try await api.generate(parameters, key: "k3y")
        #expect(urls.count == 2)
        let fetched = try await api.fetchImage(urls[0])
        #expect(fetched.format == .png)
        let image = try PNGCodec.decode(fetched.bytes).image
        #expect(image.width == 512)
    }

    @Test func imageToImageSendsALocalFileInline() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("in.png"), try PNGCodec.encode(RGBAImage(width: 8, height: 8)))
        let urls = try await api.imageToImage(
            ImageToImageParameters(prompt: "night", initImage: .file(folder.file("in.png")), width: 128, height: 64), key: "k"
        )
        let image = try PNGCodec.decode(try await api.fetchImage(urls[0]).bytes).image
        #expect(image.width == 128 && image.height == 64)
        try FileSystem.writeFileAtomically(folder.file("not-an-image.txt"), Array("hello".utf8))
        await #expect(throws: ParameterProblem.self) {
            _ = try await api.imageToImage(ImageToImageParameters(prompt: "x", initImage: .file(folder.file("not-an-image.txt"))), key: "k")
        }
    }

    @Test func everyFaultClassIsClassified() async throws {
        let cases: [(JSON, (UpstreamError?) -> Bool)] = [
            (["server_error_rate": 1], { if case .transient? = $0 { true } else { false } }),
            (["reset_rate": 1], { if case .transient? = $0 { true } else { false } }),
            (["too_many_requests_rate": 1, "retry_after_seconds": 7], { $0 == .rateLimited("Too Many Requests", retryAfter: .seconds(7)) }),
            (["malformed_rate": 1], { if case .protocolViolation? = $0 { true } else { false } }),
            (["rate_limit": ["requests": 1, "seconds": 30], "rate_limit_style": "403"], { _ in true }),
        ]
        for (faults, check) in cases {
            let server = try emulator(faults)
            defer { server.stop() }
            let api = try client(server)
            let error = await generationError(api)
            if faults["rate_limit"] != nil {
                #expect(error == nil, "the first one passes")
                let second = await generationError(api)
                #expect(second == .rateLimited("Rate limit exceeded: users can make 1 requests per 30 seconds", retryAfter: .seconds(30)))
            } else {
                #expect(check(error), "\(faults) -> \(String(describing: error))")
            }
        }
    }

    @Test func aSlowServiceTimesOutAsTransient() async throws {
        let server = try emulator(["latency_ms": 300000])
        defer { server.stop() }
        let api = VisionCraftClient(
            configuration: .init(baseURL: server.baseURL, timeouts: .init(total: .milliseconds(300))), http: try HTTPClient()
        )
        let started = MonotonicInstant.now()
        guard case .transient(let message, _)? = await generationError(api) else {
            Issue.record("a timeout is not transient")
            return
        }
        #expect(message.lowercased().contains("timeout") || message.lowercased().contains("timed out"), "\(message)")
        #expect(started.elapsed < .seconds(120), "the total timeout was honoured, not the 300 s answer awaited")
    }

    @Test func refusedAndRevokedKeysAreAuthFailures() async throws {
        let server = try emulator(tokens: .only(["good"]))
        defer { server.stop() }
        let api = try client(server)
        guard case .auth? = await generationError(api, key: "bad") else {
            Issue.record("an unknown key is not an auth failure")
            return
        }
        #expect(await generationError(api, key: "good") == nil)
        _ = try await HTTPClient().perform(HTTPClientRequest(method: "POST", url: server.baseURL + "/_emulator/revoke", body: Array(#"{"token":"good"}"#.utf8)))
        guard case .auth(let message)? = await generationError(api, key: "good") else {
            Issue.record("a revoked key is not an auth failure")
            return
        }
        #expect(message.contains("not active"))
    }

    @Test func invalidRequestsNameTheFieldAndTheKeyStaysOut() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        // Bypassing validation on purpose: the service's own 422.
        let error = await generationError(api, GenerationParameters(prompt: "x", model: "anything_V5", sampler: "Euler", imageCount: 9), key: "k3y-secret")
        #expect(error == .invalid("image_count: ensure this value is less than or equal to 5", field: "image_count"))
        #expect(!(error?.description.contains("k3y-secret") ?? true))
    }

    @Test func connectionTroubleIsTransient() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let api = VisionCraftClient(configuration: .init(baseURL: "http://127.0.0.1:\(port)"), http: try HTTPClient())
        guard case .transient? = await generationError(api) else {
            Issue.record("a refused connection is not transient")
            return
        }
    }

    @Test func downloadFailuresAreTheirOwnKind() async throws {
        let server = try emulator()
        defer { server.stop() }
        let api = try client(server)
        let urls = try await api.generate(parameters, key: "k")
        func failure(_ url: String, _ client: VisionCraftClient) async -> DownloadError? {
            do {
                _ = try await client.fetchImage(url)
                return nil
            } catch {
                return error
            }
        }
        #expect(await failure(server.baseURL + "/images/nope.png", api) == .gone(status: 404))
        guard case .notAnImage(let detail)? = await failure(server.baseURL + "/models", api) else {
            Issue.record("a JSON body is taken for an image")
            return
        }
        #expect(detail.contains("starting with 5b"), "the detail shows the first bytes: \(detail)")
        #expect(await failure(urls[0], try client(server, maximumImageBytes: 100)) == .tooLarge(limit: 100))
        server.faults = try FaultPlan().updated(with: ["truncated_download_rate": 1])
        guard case .transient? = await failure(urls[1], api) else {
            Issue.record("a truncated download is not transient")
            return
        }
    }
}
