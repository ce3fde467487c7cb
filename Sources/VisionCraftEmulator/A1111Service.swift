import Base64Coding
import HTTPServer
import Imaging
import JSON
import Posix

/// The A1111 emulator's request handling (`A1111Emulator` serves it): the
/// routes, errors and behaviour of AUTOMATIC1111 1.10's modules/api/api.py.
final class A1111Service: EmulatedAPI {
    let configuration: A1111Emulator.Configuration
    private let queue = GenerationQueue()
    private let state: Lock<State>
    private let clockOrigin = MonotonicInstant.now()

    /// The generation running now, as `shared.state` tracks it for /progress.
    private struct Job {
        var name: String
        var count: Int
        var number = 0
        var step = 0
        var steps: Int
        var started: Double
    }

    private struct State {
        var plan: FaultPlan
        /// Fault decisions, in request order.
        var random: SplitMix64
        /// Seeds for seed -1 (A1111 draws them from Python's `random`).
        var seeds: SplitMix64
        var counts: [String: [Int: Int]] = [:]
        /// `shared.opts`: what GET /sdapi/v1/options shows.
        var options: JSONObject
        var loaded: A1111Catalog.Checkpoint
        var job: Job?
        var jobTimestamp = "0"
        var waiting = 0
        var running = 0
        var peakWaiting = 0
        var peakRunning = 0
        var completed = 0

        init(_ configuration: A1111Emulator.Configuration) {
            plan = configuration.faults
            random = SplitMix64(state: configuration.seed)
            seeds = SplitMix64(state: configuration.seed ^ 0xA111_1A11_1A11_1A11)
            let first = A1111Catalog.checkpoints[0]
            loaded = first
            options = [
                "sd_model_checkpoint": .string(first.title), "sd_checkpoint_hash": .string(first.sha256), "sd_vae": "Automatic",
                "CLIP_stop_at_last_layers": 1, "samples_format": "png", "enable_pnginfo": true, "add_model_hash_to_info": true,
                "add_model_name_to_info": true, "add_version_to_infotext": true, "return_grid": true, "grid_only_if_multiple": true,
                "eta_noise_seed_delta": 0, "face_restoration_model": .string(A1111Processing.faceRestorationModel),
                "api_enable_requests": true, "api_forbid_local_requests": true,
            ]
        }
    }

    /// Paths and the methods each answers; another method is a 405, another path a 404.
    private static let routes: [String: Set<String>] = [
        "/sdapi/v1/txt2img": ["POST"], "/sdapi/v1/img2img": ["POST"], "/sdapi/v1/sd-models": ["GET"],
        "/sdapi/v1/samplers": ["GET"], "/sdapi/v1/schedulers": ["GET"], "/sdapi/v1/progress": ["GET"],
        "/sdapi/v1/options": ["GET", "POST"],
    ]

    /// `random.randrange(4294967294)`'s range, what seed -1 becomes.
    static let seedRange: UInt64 = 4_294_967_294

    init(configuration: A1111Emulator.Configuration) {
        self.configuration = configuration
        state = Lock(State(configuration))
    }

    package var statistics: [String: [Int: Int]] { state.withLock { $0.counts } }

    /// The most generations that ran at once (1 unless the queue is broken)
    /// and the most that waited for the queue at once.
    var concurrency: (peakRunning: Int, peakWaiting: Int) { state.withLock { ($0.peakRunning, $0.peakWaiting) } }


    package func handle(_ request: HTTPRequest) async -> HTTPReply {
        if request.path.hasPrefix("/_emulator/") {
            return .response(administer(request))
        }
        let delay = state.withLock { FaultDecision.latency($0.plan, &$0.random) }
        if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
        let path = request.path
        let known = Self.routes[path] != nil && (configuration.release.hasSchedulers || path != "/sdapi/v1/schedulers")
        let endpoint = known ? "\(request.method) \(path)" : "other"
        let reply = await route(request)
        let status = EmulatorAdministration.status(of: reply)
        state.withLock { $0.counts[endpoint, default: [:]][status, default: 0] += 1 }
        return reply
    }

    // MARK: Routes

    private func route(_ request: HTTPRequest) async -> HTTPReply {
        let path = request.path
        guard let methods = Self.routes[path], configuration.release.hasSchedulers || path != "/sdapi/v1/schedulers" else {
            return .response(.json(["detail": "Not Found"], status: .notFound))
        }
        guard methods.contains(request.method) else {
            return .response(.json(["detail": "Method Not Allowed"], status: .methodNotAllowed))
        }
        if let refusal = authenticate(request) { return refusal }
        switch (request.method, path) {
        case ("POST", "/sdapi/v1/txt2img"): return await generate(request, mode: .textToImage)
        case ("POST", "/sdapi/v1/img2img"): return await generate(request, mode: .imageToImage)
        case ("GET", "/sdapi/v1/sd-models"): return .response(.json(.array(A1111Catalog.checkpoints.map(\.json))))
        case ("GET", "/sdapi/v1/samplers"): return .response(.json(.array(configuration.release.samplers.map(\.json))))
        case ("GET", "/sdapi/v1/schedulers"): return .response(.json(.array(A1111Catalog.schedulers.map(\.json))))
        case ("GET", "/sdapi/v1/progress"): return .response(.json(progress()))
        case ("GET", "/sdapi/v1/options"): return .response(.json(.object(state.withLock { $0.options })))
        default: return setOptions(request)
        }
    }

    /// FastAPI's HTTPBasic, then A1111's check of `--api-auth`. A1111's
    /// exception handler answers without the WWW-Authenticate header the
    /// exception carries, so the 401 has none.
    private func authenticate(_ request: HTTPRequest) -> HTTPReply? {
        guard !configuration.credentials.isEmpty else { return nil }
        guard let header = request.header("authorization"), !header.isEmpty else {
            return Self.httpException(HTTPStatus(code: 401, reason: "Unauthorized"), "Not authenticated")
        }
        let (scheme, parameter) = header.firstIndex(of: " ").map { (header[..<$0], header[header.index(after: $0)...]) } ?? (header[...], "")
        guard scheme.lowercased() == "basic" else {
            return Self.httpException(HTTPStatus(code: 401, reason: "Unauthorized"), "Not authenticated")
        }
        guard let bytes = Base64.decode(String(parameter)), bytes.allSatisfy({ $0 < 0x80 }),
            let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
        else {
            return Self.httpException(HTTPStatus(code: 401, reason: "Unauthorized"), "Invalid authentication credentials")
        }
        let user = String(decoding: bytes[..<colon], as: UTF8.self)
        let password = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
        guard configuration.credentials[user] == password else {
            return Self.httpException(HTTPStatus(code: 401, reason: "Unauthorized"), "Incorrect username or password")
        }
        return nil
    }

    /// A raised `HTTPException` as A1111's handler writes it (`str(e)` is empty).
    static func httpException(_ status: HTTPStatus, _ detail: String) -> HTTPReply {
        .response(.json(["error": "HTTPException", "detail": .string(detail), "body": "", "errors": ""], status: status))
    }

    /// Any other Python exception, as A1111's handler writes it: a 500 with
    /// the exception's type and `str()`.
    static func pythonError(_ type: String, _ message: String) -> HTTPReply {
        .response(.json(["error": .string(type), "detail": "", "body": "", "errors": .string(message)], status: .internalServerError))
    }

    /// `progressapi`: 0 when idle, else A1111's estimate from the job and step counters.
    private func progress() -> JSON {
        let now = clockOrigin.elapsed.seconds
        return state.withLock { state in
            let job = state.job
            let stateJSON: JSON = [
                "skipped": false, "interrupted": false, "stopping_generation": false, "job": .string(job?.name ?? ""),
                "job_count": .number(JSONNumber(job?.count ?? 0)), "job_timestamp": .string(state.jobTimestamp),
                "job_no": .number(JSONNumber(job?.number ?? 0)), "sampling_step": .number(JSONNumber(job?.step ?? 0)),
                "sampling_steps": .number(JSONNumber(job?.steps ?? 0)),
            ]
            guard let job, job.count > 0 else {
                return ["progress": 0.0, "eta_relative": 0.0, "state": stateJSON, "current_image": nil, "textinfo": nil]
            }
            var progress = 0.01 + Double(job.number) / Double(job.count)
            if job.steps > 0 { progress += 1 / Double(job.count) * Double(job.step) / Double(job.steps) }
            let elapsed = now - job.started
            let eta = elapsed / progress - elapsed
            return [
                "progress": .number(JSONNumber(min(progress, 1))!), "eta_relative": .number(JSONNumber(eta)!), "state": stateJSON,
                "current_image": nil, "textinfo": nil,
            ]
        }
    }

    /// `set_config`: only known options; a checkpoint must be one of the catalog's names.
    private func setOptions(_ request: HTTPRequest) -> HTTPReply {
        guard case .object(let changes)? = try? JSONParser.parse(request.body) else {
            var errors = ValidationErrors()
            errors.add(location: [], "value is not a valid dict", type: "type_error.dict")
            return .response(.json(errors.body, status: .unprocessableContent))
        }
        if let name = changes["sd_model_checkpoint"], name != .null {
            guard let text = name.stringValue, A1111Catalog.checkpoint(alias: text) != nil else {
                return Self.pythonError("RuntimeError", "model \(name.stringValue.map(PythonFormat.repr) ?? PythonFormat.str(name)) not found")
            }
        }
        return state.withLock { state in
            for key in changes.keys where state.options[key] == nil {
                return Self.pythonError("KeyError", PythonFormat.repr(key))
            }
            for (key, value) in changes { state.options[key] = value }
            if let name = changes["sd_model_checkpoint"]?.stringValue, let checkpoint = A1111Catalog.checkpoint(alias: name) {
                state.loaded = checkpoint
                state.options["sd_checkpoint_hash"] = .string(checkpoint.sha256)
            }
            return .response(.json(nil))
        }
    }

    // MARK: Generation

    private func generate(_ request: HTTPRequest, mode: A1111Request.Mode) async -> HTTPReply {
        let parsed: A1111Request
        switch A1111Request.parse(request.body, contentType: request.header("content-type"), mode: mode, release: configuration.release) {
        case .success(let valid): parsed = valid
        case .failure(let errors): return .response(.json(errors.body, status: .unprocessableContent))
        }
        var initImages: [JSON] = []
        if mode == .imageToImage {
            guard case .array(let images) = parsed.value("init_images") else {
                return Self.httpException(.notFound, "Init image not found")
            }
            initImages = images
            if case .string(let mask) = parsed.value("mask"), !mask.isEmpty, case .failure(let reply) = A1111ImageInput.decode(.string(mask)) {
                return reply
            }
        }
        if !configuration.release.hasSchedulers, !configuration.release.samplers.contains(where: { $0.name == Self.requestedSampler(parsed) }) {
            // validate_sampler_name, before 1.9 given the name as sent.
            return Self.httpException(.notFound, "Sampler not found")
        }
        let decision = state.withLock { FaultDecision.generation($0.plan, &$0.random) }
        if let fault = faultReply(decision) { return fault }

        // Waiting counts while a generation runs: a request that finds the
        // queue free waits for nothing.
        state.withLock { state in
            state.waiting += 1
            if state.running > 0 { state.peakWaiting = max(state.peakWaiting, state.waiting) }
        }
        await queue.acquire()
        state.withLock { state in
            state.waiting -= 1
            state.running += 1
            state.peakRunning = max(state.peakRunning, state.running)
            state.peakWaiting = max(state.peakWaiting, state.waiting)
        }
        let reply = await generateInTurn(parsed, mode: mode, initImages: initImages)
        state.withLock { state in
            state.running -= 1
            state.completed += 1
            state.job = nil
        }
        queue.release()
        return reply
    }

    /// The work done holding the queue: A1111 decodes the init images there too.
    private func generateInTurn(_ request: A1111Request, mode: A1111Request.Mode, initImages: [JSON]) async -> HTTPReply {
        var initHash: UInt64 = 0
        for image in initImages {
            switch A1111ImageInput.decode(image) {
            case .image(let bytes): initHash = A1111Pictures.mix(initHash, bytes)
            case .failure(let reply): return reply
            }
        }
        if mode == .imageToImage, initImages.isEmpty {
            return Self.pythonError("IndexError", "list index out of range")
        }
        let processing = resolve(request, mode: mode)
        if let failure = A1111Pictures.resourceFailure(processing, memoryPixels: configuration.memoryPixels) { return failure }

        let started = clockOrigin.elapsed.seconds
        state.withLock { state in
            state.jobTimestamp = processing.jobTimestamp
            state.job = Job(name: mode == .textToImage ? "scripts_txt2img" : "scripts_img2img", count: processing.iterations, steps: processing.steps, started: started)
        }
        for iteration in 0..<processing.iterations {
            for step in 0..<processing.steps {
                state.withLock { state in
                    state.job?.number = iteration
                    state.job?.step = step
                }
                if configuration.stepDuration > .zero { try? await Task.sleep(for: configuration.stepDuration) }
            }
        }

        let images: [(image: RGBAImage, infotext: String)]
        do {
            images = try A1111Pictures.render(processing, initHash: initHash, grid: request.flag("save_images") == true)
        } catch {
            return Self.pythonError("OSError", "cannot write the image: \(error)")
        }
        var encoded: [String] = []
        if request.flag("send_images") != false {
            let options = PNGCodec.Options(compressionLevel: 1, filters: PNGCodec.Options.noFilter)
            for picture in images {
                guard let png = try? PNGCodec.encode(picture.image, text: [.init(keyword: "parameters", text: picture.infotext)], options: options) else {
                    return Self.pythonError("OSError", "cannot write the image's parameters chunk")
                }
                encoded.append(Base64.encode(png))
            }
        }
        let indexOfFirstImage = images.count > processing.imageCount ? 1 : 0
        let info = processing.info(infotexts: images.map(\.infotext), indexOfFirstImage: indexOfFirstImage)
        var echo = request.values
        if mode == .imageToImage, request.flag("include_init_images") != true {
            echo["init_images"] = .null
            echo["mask"] = .null
        }
        let body: JSON = ["images": .array(encoded.map(JSON.string)), "parameters": .object(echo), "info": .string(PythonFormat.dumps(info))]
        return transferFault(.json(body))
    }

    /// The request resolved as `process_images` resolves it: sampler and
    /// scheduler names, the checkpoint, the seeds.
    private func resolve(_ request: A1111Request, mode: A1111Request.Mode) -> A1111Processing {
        // Every integer read here has a default in the model.
        func integer(_ name: String) -> Int { request.integer(name) ?? 0 }
        let named = Self.requestedSampler(request)
        let (sampler, scheduler): (String, String?)
        if configuration.release.hasSchedulers {
            let requestedScheduler = request.string("scheduler")
            let first = A1111Catalog.samplerAndScheduler(named, requestedScheduler)
            var chosen = requestedScheduler
            if chosen?.isEmpty ?? true, first.scheduler != "Automatic" { chosen = first.scheduler }
            // fix_p_invalid_sampler_and_scheduler, in process_images.
            (sampler, scheduler) = A1111Catalog.samplerAndScheduler(first.sampler, chosen, convertAutomatic: false)
        } else {
            (sampler, scheduler) = (named ?? "", nil)
        }

        let override = request.value("override_settings")["sd_model_checkpoint"]?.stringValue.flatMap(A1111Catalog.checkpoint(alias:))
        let count = max(0, integer("batch_size")) * max(0, integer("n_iter"))
        let subseedStrength = request.value("subseed_strength")
        let (checkpoint, seed, subseed) = state.withLock { state in
            func fixed(_ value: Int) -> Int { value == -1 ? Int(state.seeds.next() % Self.seedRange) : value }
            return (override ?? state.loaded, fixed(integer("seed")), fixed(integer("subseed")))
        }
        let variation = (subseedStrength.doubleValue ?? 0) != 0
        let stamp = WallClock.now().iso8601.unicodeScalars.filter { ("0"..."9").contains($0) }.prefix(14)
        return A1111Processing(
            mode: mode, prompt: request.string("prompt") ?? "", negativePrompt: request.string("negative_prompt") ?? "",
            styles: request.value("styles").arrayValue?.compactMap(\.stringValue) ?? [],
            seeds: (0..<count).map { seed + (variation ? 0 : $0) }, subseeds: (0..<count).map { subseed + $0 },
            subseedStrength: subseedStrength, seedResizeFrom: (integer("seed_resize_from_w"), integer("seed_resize_from_h")),
            sampler: sampler, scheduler: scheduler, cfgScale: request.value("cfg_scale"),
            steps: integer("steps"), batchSize: integer("batch_size"), iterations: integer("n_iter"),
            width: integer("width"), height: integer("height"),
            // process_images: None takes opts.face_restoration and opts.tiling, both off.
            restoreFaces: request.flag("restore_faces") ?? false, tiling: request.flag("tiling") ?? false,
            checkpoint: checkpoint, denoisingStrength: request.value("denoising_strength"),
            jobTimestamp: String(String.UnicodeScalarView(stamp)), version: configuration.release.version
        )
    }

    /// `sampler_name or sampler_index`: Python's `or` passes over an empty name.
    private static func requestedSampler(_ request: A1111Request) -> String? {
        request.string("sampler_name").flatMap { $0.isEmpty ? nil : $0 } ?? request.string("sampler_index")
    }

    // MARK: Faults

    /// A generation fault's answer: A1111's own 500 (out of memory), a
    /// proxy's 502 or 503 page, a 429, or a 200 that breaks the promise.
    private func faultReply(_ decision: FaultDecision) -> HTTPReply? {
        switch decision {
        case .reset:
            return .resetConnection
        case .serverError(let status) where status == .internalServerError:
            return Self.pythonError("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 8.00 GiB")
        case .serverError(let status):
            let page = "<html>\r\n<head><title>\(status)</title></head>\r\n<body>\r\n<center><h1>\(status)</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            return .response(HTTPResponse(status: status, headers: [("Content-Type", "text/html")], body: Array(page.utf8)))
        case .tooManyRequests:
            let plan = faults
            return .response(.json(["detail": "Too Many Requests"], status: .tooManyRequests, headers: [("Retry-After", String(plan.retryAfterSeconds))]))
        case .malformed(let variant):
            switch variant {
            case 0: return .response(HTTPResponse(status: .ok, headers: [("Content-Type", "text/html")], body: Array("<html><body>Bad gateway</body></html>".utf8)))
            case 1: return .response(.json(["detail": "ok"]))
            case 2: return .response(.json(["images": [], "parameters": [:], "info": "{}"]))
            default: return .response(.json(["images": ["not base64!", 5], "parameters": [:], "info": "not json"]))
            }
        default:
            return nil
        }
    }

    /// The images travel in the answer, so the plan's download faults apply
    /// to it (a reset was already drawn for the request).
    private func transferFault(_ response: HTTPResponse) -> HTTPReply {
        let decision = state.withLock { FaultDecision.download($0.plan, &$0.random) }
        switch decision {
        case .truncated: return .truncated(response, bodyBytes: response.body.count / 2)
        case .slow: return .throttled(response, chunkBytes: 16 * 1024, interval: .milliseconds(50))
        case .corrupt, .bomb:
            guard case .object(var body)? = try? JSONParser.parse(response.body), var images = body["images"]?.arrayValue, !images.isEmpty,
                let first = images[0].stringValue, let png = Base64.decode(first)
            else { return .response(response) }
            if case .bomb(let side) = decision {
                guard let bomb = FaultDecision.bomb(side: side) else { return .response(response) }
                images[0] = .string(Base64.encode(bomb))
            } else {
                images[0] = .string(Base64.encode(FaultDecision.damaged(png)))
            }
            body["images"] = .array(images)
            return .response(.json(.object(body)))
        default:
            return .response(response)
        }
    }

    // MARK: Administration

    func withFaults<T>(_ change: (inout FaultPlan) -> T) -> T {
        state.withLock { change(&$0.plan) }
    }

    var statisticsBeyondRequests: JSONObject {
        let (peakRunning, peakWaiting, completed) = state.withLock { ($0.peakRunning, $0.peakWaiting, $0.completed) }
        return [
            "generations": [
                "completed": .number(JSONNumber(completed)), "peak_running": .number(JSONNumber(peakRunning)),
                "peak_waiting": .number(JSONNumber(peakWaiting)),
            ],
        ]
    }

    func reset() {
        state.withLock { state in
            let (waiting, running, job, timestamp) = (state.waiting, state.running, state.job, state.jobTimestamp)
            state = State(configuration)
            // Requests in flight finish and count themselves out.
            (state.waiting, state.running, state.job, state.jobTimestamp) = (waiting, running, job, timestamp)
        }
    }

}
