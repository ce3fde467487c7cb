import Backends
import Base64Coding
import HTTPClient
import Jobs
import JSON
import Posix

/// AUTOMATIC1111's web API (`--api`; Forge, SD.Next and
/// stable-diffusion.cpp's `sd-server` serve the same `/sdapi/v1` routes):
/// the checkpoint, sampler and scheduler lists, `txt2img` and `img2img`.
/// The model is chosen per request (`override_settings`, restored after),
/// never by changing the server's options, so that its own users and other
/// clients keep theirs. The key, `user:password`, travels only as HTTP Basic
/// authentication, and every key sent is scrubbed from all text the server
/// gives back (`UpstreamText`).
package final class A1111Client: Sendable {
    package struct Configuration: Sendable {
        /// Where the web UI listens unless told otherwise (`--port 7860`).
        package static let defaultBaseURL = "http://127.0.0.1:7860"

        package var baseURL: String
        /// For the lists.
        package var timeouts: HTTPClientRequest.Timeouts
        /// For a generation: the server serves one request at a time and
        /// sends nothing until the images are made, so the transfer is
        /// allowed to stay silent as long as it may last.
        package var generationTimeouts: HTTPClientRequest.Timeouts
        /// How long the lists are trusted: minutes, as the checkpoints of a
        /// server of one's own change whenever its owner adds one.
        package var catalogLifetime: Duration
        /// The largest answer taken: the images come in it, in base64 (4
        /// PNGs of 2048 by 2048 can come to 100 MB).
        package var maximumAnswerBytes: Int

        package init(
            baseURL: String = Configuration.defaultBaseURL,
            timeouts: HTTPClientRequest.Timeouts = .init(),
            generationTimeouts: HTTPClientRequest.Timeouts = .init(total: .seconds(900), lowSpeedTime: .seconds(900)),
            catalogLifetime: Duration = .seconds(300),
            maximumAnswerBytes: Int = 256 << 20
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.timeouts = timeouts
            self.generationTimeouts = generationTimeouts
            self.catalogLifetime = catalogLifetime
            self.maximumAnswerBytes = maximumAnswerBytes
        }
    }

    package let configuration: Configuration
    let httpClient: HTTPClient
    /// Reads a local init image that comes named rather than read.
    package let initImages: InitImageReader
    /// The key the lists are asked with: the seam's `catalog()` takes none,
    /// and a server started with `--api-auth` refuses every route without it.
    private let catalogKey: @Sendable () -> String?
    /// The lists, fetched once for every caller waiting at the time, kept
    /// for `catalogLifetime`, a failure remembered for `catalogRetryDelay` so
    /// that a server that is down is not asked on every call.
    private let catalog: CatalogCache<A1111Catalog, BackendFailure>
    /// The keys this client has sent: a server may echo one on a later
    /// request too.
    private let sentKeys = SentKeys()

    /// How long a failed list fetch is remembered before the next try.
    package static let catalogRetryDelay: Duration = .seconds(15)

    /// - Parameter catalogKey: the key the lists are asked with (the
    ///   daemon's current key for this backend).
    package init(
        configuration: Configuration = Configuration(), http: HTTPClient, initImages: InitImageReader = InitImageReader(),
        catalogKey: @escaping @Sendable () -> String? = { nil }
    ) {
        self.configuration = configuration
        httpClient = http
        self.initImages = initImages
        self.catalogKey = catalogKey
        catalog = CatalogCache(lifetime: configuration.catalogLifetime, retryDelay: Self.catalogRetryDelay)
    }

    // MARK: Lists

    /// The server's checkpoints, samplers and schedulers (cached for `catalogLifetime`).
    package func lists() async throws(BackendFailure) -> A1111Catalog {
        try await catalog.value(fetch: { [self] () throws(BackendFailure) in try await fetchLists() }, unexpected: { .transient("\($0)", retryAfter: nil) })
    }

    /// Forgets the cached lists (after the server refused a name, or to refresh them).
    package func invalidateCatalog() {
        catalog.invalidate()
    }

    /// Whether the lists (or a recent failure to get them) are at hand.
    package var catalogIsSettled: Bool { catalog.isSettled }

    private func fetchLists() async throws(BackendFailure) -> A1111Catalog {
        let key = catalogKey()
        let keys = try keysToScrub(key)
        let models = try A1111Catalog.models(try await list("sd-models", key: key), keys: keys)
        let samplers = try A1111Catalog.samplers(try await list("samplers", key: key), keys: keys)
        // Versions before 1.9 have no noise schedules, nor the route.
        let schedulers = try await list("schedulers", key: key, absentIfNotFound: true).map { json throws(BackendFailure) in
            try A1111Catalog.schedulers(json, keys: keys)
        } ?? []
        return A1111Catalog(models: models, samplers: samplers, schedulers: schedulers)
    }

    private func list(_ name: String, key: String?) async throws(BackendFailure) -> JSON {
        // Only `absentIfNotFound` lists are ever nil.
        guard let json = try await list(name, key: key, absentIfNotFound: false) else { throw .protocolViolation("GET /sdapi/v1/\(name) answered nothing") }
        return json
    }

    /// `GET /sdapi/v1/<name>`, parsed; nil for a 404 when `absentIfNotFound`.
    private func list(_ name: String, key: String?, absentIfNotFound: Bool) async throws(BackendFailure) -> JSON? {
        let request = HTTPClientRequest(url: "\(configuration.baseURL)/sdapi/v1/\(name)", timeouts: configuration.timeouts)
        let response = try await send(request, key: key, accepting: absentIfNotFound ? [404] : [])
        if response.status == 404 { return nil }
        guard let json = try? JSONParser.parse(response.body) else { throw .protocolViolation("GET /sdapi/v1/\(name) did not answer JSON") }
        return json
    }

    // MARK: Progress

    /// How far the server is with the generation it runs now (without its
    /// preview image, which would come in base64 on every poll).
    package func progress(key: String?) async throws(BackendFailure) -> A1111Progress {
        let request = HTTPClientRequest(url: "\(configuration.baseURL)/sdapi/v1/progress?skip_current_image=true", timeouts: configuration.timeouts)
        let response = try await send(request, key: key)
        guard let json = try? JSONParser.parse(response.body) else { throw .protocolViolation("GET /sdapi/v1/progress did not answer JSON") }
        return try A1111Progress.read(json)
    }

    // MARK: Generation

    /// `POST /sdapi/v1/txt2img`, or `/img2img` with an init image: the
    /// images, each with its seed and infotext.
    ///
    /// - Throws: `.invalid` naming `model` when the server made them on
    ///   another model than the one named (A1111 falls back to its loaded
    ///   one when it has no such checkpoint): they are not the job's.
    package func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> [GeneratedImage] {
        let initImage: String?
        switch request.initImage {
        case nil: initImage = nil
        case .inline(let image): initImage = Base64.encode(image.bytes)
        // The server fetches it only when its api_enable_requests allows.
        case .url(let url): initImage = url
        case .file(let path): initImage = Base64.encode(try await read(path).bytes)
        }
        let route = initImage == nil ? "txt2img" : "img2img"
        let http = HTTPClientRequest(
            method: "POST", url: "\(configuration.baseURL)/sdapi/v1/\(route)", headers: [("Content-Type", "application/json")],
            body: JSONSerializer.serialize(Self.body(request, initImage: initImage)), timeouts: configuration.generationTimeouts,
            maximumResponseBytes: configuration.maximumAnswerBytes
        )
        let response = try await send(http, key: key)
        let answer = try A1111Answer.images(response.body, keys: try keysToScrub(key))
        if let model = request.model, let ran = answer.model, !ran.matches(model) {
            invalidateCatalog()
            throw .invalid(
                "Model not found: the server has no model '\(model)' and made the images on its loaded one, '\(ran.name)' (vcctl models lists those it has)",
                field: JobField.model.wireName
            )
        }
        return answer.images
    }

    /// What A1111 is sent for `request` (`StableDiffusionTxt2ImgProcessingAPI`,
    /// `...Img2ImgProcessingAPI`), the rules' defaults where it gives none;
    /// no sampler, scheduler or model named leaves the server's own.
    static func body(_ request: GenerationRequest, initImage: String?) -> JSON {
        let rules = BackendRules.a1111
        let toImage = initImage != nil
        let steps = request.steps ?? (toImage ? rules.imageToImageDefaultSteps : rules.textToImageDefaultSteps)
        let guidance = request.guidance ?? (toImage ? rules.imageToImageDefaultGuidance : rules.textToImageDefaultGuidance)
        var fields: [(String, JSON)] = [
            ("prompt", .string(request.prompt)), ("negative_prompt", .string(request.negativePrompt)),
            ("seed", .number(JSONNumber(request.seed ?? -1))), ("batch_size", .number(JSONNumber(request.count))), ("n_iter", 1),
            ("steps", .number(JSONNumber(steps))), ("cfg_scale", JSONNumber(guidance).map(JSON.number) ?? .null),
            ("width", .number(JSONNumber(request.width ?? rules.defaultSide))), ("height", .number(JSONNumber(request.height ?? rules.defaultSide))),
            // Not saved in the server's outputs folder (ours is where they
            // go), which also keeps the grid out of the answer.
            ("send_images", true), ("save_images", false),
        ]
        if let sampler = request.sampler { fields.append(("sampler_name", .string(sampler))) }
        if let scheduler = request.scheduler { fields.append(("scheduler", .string(scheduler))) }
        if let model = request.model {
            fields.append(("override_settings", ["sd_model_checkpoint": .string(model)]))
            fields.append(("override_settings_restore_afterwards", true))
        }
        if let initImage { fields.append(("init_images", [.string(initImage)])) }
        return .object(JSONObject(fields))
    }

    private func read(_ path: String) async throws(BackendFailure) -> FetchedImage {
        do {
            return try await initImages.read(path)
        } catch let problem as ParameterProblem {
            throw .invalid(problem.message, field: problem.field)
        } catch {
            throw .transient("\(error)", retryAfter: nil)
        }
    }

    // MARK: Sending

    /// Every text to scrub from an answer: the forms of `key` (about to be
    /// sent, or just sent) and of the keys sent before, which `key` joins.
    ///
    /// - Throws: `.keyRefused` when `key` is not `user:password`.
    func keysToScrub(_ key: String?) throws(BackendFailure) -> [String] {
        let credentials = try key.map { key throws(BackendFailure) in try A1111Credentials(key) }
        return sentKeys.including(credentials?.key).flatMap { (try? A1111Credentials($0))?.scrubbed ?? [$0] }
    }

    /// Sends `request`, with Basic authentication when there is a key; an
    /// answer outside 2xx and `accepting`, or a failed transfer, is thrown
    /// classified.
    private func send(_ request: HTTPClientRequest, key: String?, accepting: Set<Int> = []) async throws(BackendFailure) -> HTTPClientResponse {
        let keys = try keysToScrub(key)
        var request = request
        if let key { request.headers.append(try A1111Credentials(key).header) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.perform(request)
        } catch {
            throw A1111Failures.transport(error, keys: keys)
        }
        guard (200..<300).contains(response.status) || accepting.contains(response.status) else {
            let failure = A1111Failures.classify(
                status: response.status, retryAfterHeader: response.header("retry-after"), body: response.body, keys: keys,
                now: Double(WallClock.now().milliseconds) / 1000
            )
            if case .invalid(_, let field?) = failure, ["model", "sampler", "scheduler"].contains(field) { invalidateCatalog() }
            throw failure
        }
        return response
    }
}
