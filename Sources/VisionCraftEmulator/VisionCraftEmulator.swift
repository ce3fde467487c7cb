import HTTPServer
import Imaging
import JSON
import Posix

/// A local server that behaves like the VisionCraft API (same paths, shapes,
/// limits and errors), so everything runs and is tested with no key and no
/// network. What is documented and what is inferred from public clients is
/// noted in README ("The emulator").
package final class VisionCraftEmulator: ServedEmulator {
    /// Which tokens the emulator accepts.
    package enum TokenPolicy: Sendable, Equatable {
        /// Any non-empty token.
        case any
        /// Only these.
        case only(Set<String>)
    }

    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port.
        package var port: UInt16
        package var tokens: TokenPolicy
        /// Makes the pictures (and, later, the faults) reproducible.
        package var seed: UInt64
        /// The side of /generate's square images.
        package var imageSide: Int
        /// The faults at start (and after `POST /_emulator/reset`).
        package var faults: FaultPlan

        package init(
            host: String = "127.0.0.1", port: UInt16 = 0, tokens: TokenPolicy = .any, seed: UInt64 = 0,
            imageSide: Int = 512, faults: FaultPlan = FaultPlan()
        ) {
            self.host = host
            self.port = port
            self.tokens = tokens
            self.seed = seed
            self.imageSide = imageSide
            self.faults = faults
        }
    }

    package let configuration: Configuration
    package let http: HTTPServer
    private let core: EmulatorCore
    package var api: any EmulatedAPI { core }

    /// Binds the emulator's port; `start()` serves.
    package init(configuration: Configuration = Configuration()) throws(SystemError) {
        self.configuration = configuration
        let core = EmulatorCore(configuration: configuration)
        self.core = core
        http = try Self.serve(core, host: configuration.host, port: configuration.port)
    }

    /// Generations asked for by a token before the Retry-After of the 429 it
    /// was given had expired (a grace of a quarter second after the 429
    /// covers requests already on their way). A client that honours
    /// Retry-After keeps this at 0.
    package var earlyRequests: Int { core.earlyRequests }
}

/// The emulator's request handling, shared with the server's handler.
final class EmulatorCore: EmulatedAPI {
    let configuration: VisionCraftEmulator.Configuration
    private let base = Lock("")
    private let state: Lock<State>
    private let images = ImageCache(capacity: 64)
    private let clockOrigin = MonotonicInstant.now()

    /// Everything that changes while serving, behind one lock: fault
    /// decisions are drawn in request order, so a seed reproduces them.
    private struct State {
        var plan: FaultPlan
        var random: SplitMix64
        var limiter = RateLimiter()
        var revoked: Set<String> = []
        var counts: [String: [Int: Int]] = [:]
        /// Per token, the last 429's Retry-After window (seconds since start).
        var retryAfter = RetryAfterWindows()
    }

    init(configuration: VisionCraftEmulator.Configuration) {
        self.configuration = configuration
        state = Lock(State(plan: configuration.faults, random: SplitMix64(state: configuration.seed)))
    }

    package func setBaseURL(_ url: String) {
        base.withLock { $0 = url }
    }

    package var statistics: [String: [Int: Int]] {
        state.withLock { $0.counts }
    }

    /// Generations asked for while a 429's Retry-After had not expired
    /// (`RetryAfterWindows`).
    var earlyRequests: Int {
        state.withLock { $0.retryAfter.earlyRequests }
    }

    package func handle(_ request: HTTPRequest) async -> HTTPReply {
        if request.path.hasPrefix("/_emulator/") {
            return .response(administer(request))
        }
        let delay = state.withLock { FaultDecision.latency($0.plan, &$0.random) }
        if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
        let (endpoint, reply) = route(request)
        let status = EmulatorAdministration.status(of: reply)
        state.withLock { $0.counts[endpoint, default: [:]][status, default: 0] += 1 }
        return reply
    }

    // MARK: Routes

    private func route(_ request: HTTPRequest) -> (String, HTTPReply) {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/models"):
            return (path, .response(.json(.array(EmulatorCatalog.models.map(JSON.string)))))
        case ("GET", "/samplers"):
            return (path, .response(.json(.array(EmulatorCatalog.samplers.map(JSON.string)))))
        case ("POST", "/generate"), ("POST", "/img2img"):
            return (path, generate(request, imageToImage: path == "/img2img"))
        case ("GET", _) where path.hasPrefix("/images/"):
            return ("/images", image(path))
        case (_, "/models"), (_, "/samplers"), (_, "/generate"), (_, "/img2img"):
            return (path, .response(.json(["detail": "Method Not Allowed"], status: .methodNotAllowed)))
        default:
            return ("other", .response(.json(["detail": "Not Found"], status: .notFound)))
        }
    }

    private func generate(_ request: HTTPRequest, imageToImage: Bool) -> HTTPReply {
        let body: JSONObject
        do {
            guard case .object(let object) = try JSONParser.parse(request.body) else {
                return .response(.json(["detail": [["loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"]]], status: .unprocessableContent))
            }
            body = object
        } catch {
            return .response(.json(["detail": [["loc": ["body", .number(JSONNumber(error.offset))], "msg": "JSON decode error", "type": "value_error.jsondecode"]]], status: .unprocessableContent))
        }
        let validated = imageToImage
            ? GenerationRequest.imageToImage(body)
            : GenerationRequest.generate(body, defaultSide: configuration.imageSide)
        let generation: GenerationRequest
        switch validated {
        case .success(let valid): generation = valid
        case .failure(let errors): return .response(.json(errors.body, status: .unprocessableContent))
        }
        if !accepts(generation.token) {
            return .response(.json(["detail": "Your key is invalid or banned: subscribe to the channel and get a key from the bot"], status: .forbidden))
        }
        let now = clockOrigin.elapsed.seconds
        let (revoked, limited, decision, plan) = state.withLock { state in
            state.retryAfter.request(from: generation.token, at: now)
            let revoked = state.revoked.contains(generation.token)
            var limited: Double?
            if !revoked, let limit = state.plan.rateLimit {
                limited = state.limiter.admit(generation.token, limit: limit, now: now)
            }
            let decision = revoked || limited != nil ? FaultDecision.none : FaultDecision.generation(state.plan, &state.random)
            if let wait = limited, state.plan.rateLimitStyle == .tooManyRequests {
                state.retryAfter.opened(for: generation.token, at: now, seconds: Double(max(1, Int(wait.rounded(.up)))))
            } else if case .tooManyRequests = decision {
                state.retryAfter.opened(for: generation.token, at: now, seconds: Double(state.plan.retryAfterSeconds))
            }
            return (revoked, limited, decision, state.plan)
        }
        if revoked {
            return .response(.json(["detail": "Your key is not active: its owner is no longer subscribed to the channel"], status: .forbidden))
        }
        if let wait = limited, let limit = plan.rateLimit {
            switch plan.rateLimitStyle {
            case .tooManyRequests:
                let seconds = max(1, Int(wait.rounded(.up)))
                return .response(.json(["detail": "Too Many Requests"], status: .tooManyRequests, headers: [("Retry-After", String(seconds))]))
            case .forbidden:
                let message = "Rate limit exceeded: users can make \(limit.requests) requests per \(limit.seconds) seconds"
                return .response(.json(["error": .string(message)], status: .forbidden))
            }
        }
        switch decision {
        case .reset:
            return .resetConnection
        case .serverError(let status):
            return .response(.json(["detail": .string(status.reason)], status: status))
        case .tooManyRequests:
            return .response(.json(["detail": "Too Many Requests"], status: .tooManyRequests, headers: [("Retry-After", String(plan.retryAfterSeconds))]))
        case .malformed(let variant):
            return .response(Self.malformedResponse(variant))
        default:
            break
        }
        let key = generation.imageKey(seed: configuration.seed)
        let baseURL = base.withLock { $0 }
        let urls = (0..<generation.imageCount).map { index in
            JSON.string(baseURL + ImageSynthesizer.Spec(key: key, index: index, width: generation.width, height: generation.height).path)
        }
        return .response(.json(["images": .array(urls)]))
    }

    private func image(_ path: String) -> HTTPReply {
        guard let spec = ImageSynthesizer.Spec(path: path) else {
            return .response(.json(["detail": "Not Found"], status: .notFound))
        }
        let png: [UInt8]
        if let cached = images.get(spec) {
            png = cached
        } else {
            // Fast over small: level 1, no filtering (a sixth of the time of
            // libpng's adaptive filters; these pictures are flat shapes).
            let options = PNGCodec.Options(compressionLevel: 1, filters: PNGCodec.Options.noFilter)
            guard let encoded = try? PNGCodec.encode(ImageSynthesizer.render(spec), options: options) else {
                return .response(.json(["detail": "Internal Server Error"], status: .internalServerError))
            }
            images.put(spec, encoded)
            png = encoded
        }
        let decision = state.withLock { FaultDecision.download($0.plan, &$0.random) }
        return decision.imageReply(png) ?? .response(.json(["detail": "Internal Server Error"], status: .internalServerError))
    }

    private func accepts(_ token: String) -> Bool {
        switch configuration.tokens {
        case .any: !token.isEmpty
        case .only(let allowed): allowed.contains(token)
        }
    }

    // MARK: Faults

    /// A 200 whose body is not what the docs promise.
    private static func malformedResponse(_ variant: Int) -> HTTPResponse {
        switch variant {
        case 0: HTTPResponse(status: .ok, headers: [("Content-Type", "text/html")], body: Array("<html><body>Bad gateway</body></html>".utf8))
        case 1: .json(["detail": "ok"])
        case 2: .json(["images": []])
        default: .json(["images": ["not a url", 5]])
        }
    }

    // MARK: Administration

    func withFaults<T>(_ change: (inout FaultPlan) -> T) -> T {
        state.withLock { change(&$0.plan) }
    }

    var statisticsBeyondRequests: JSONObject {
        ["early_requests": .number(JSONNumber(earlyRequests))]
    }

    func reset() {
        state.withLock { state in
            state = State(plan: configuration.faults, random: SplitMix64(state: configuration.seed))
        }
    }

    /// `POST /_emulator/revoke {"token": ...}`: the token is refused from now on.
    func administerOwn(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "POST", request.path == "/_emulator/revoke" else { return nil }
        guard let token = (try? JSONParser.parse(request.body))?["token"]?.stringValue, !token.isEmpty else {
            return .json(["error": "expected {\"token\": \"...\"}"], status: .badRequest)
        }
        let revoked = state.withLock { state in
            state.revoked.insert(token)
            return state.revoked.sorted()
        }
        return .json(["revoked": .array(revoked.map(JSON.string))])
    }

    var ownAdministrationRoutes: [String] { ["POST /_emulator/revoke"] }
}

/// The last few encoded pictures (downloads of one generation come together).
final class ImageCache: Sendable {
    private let capacity: Int
    private let storage = Lock<(entries: [ImageSynthesizer.Spec: [UInt8]], order: [ImageSynthesizer.Spec])>(([:], []))

    init(capacity: Int) {
        self.capacity = capacity
    }

    func get(_ spec: ImageSynthesizer.Spec) -> [UInt8]? {
        storage.withLock { $0.entries[spec] }
    }

    func put(_ spec: ImageSynthesizer.Spec, _ bytes: [UInt8]) {
        storage.withLock { state in
            guard state.entries[spec] == nil else { return }
            state.entries[spec] = bytes
            state.order.append(spec)
            if state.order.count > capacity {
                state.entries[state.order.removeFirst()] = nil
            }
        }
    }
}
