import HTTPServer
import Imaging
import JSON
import Posix
import Synchronization

/// A local server that behaves like the VisionCraft API (same paths, shapes,
/// limits and errors), so everything runs and is tested with no key and no
/// network. What is documented and what is inferred from public clients is
/// noted in README ("The emulator").
public final class VisionCraftEmulator: Sendable {
    /// Which tokens the emulator accepts.
    public enum TokenPolicy: Sendable, Equatable {
        /// Any non-empty token.
        case any
        /// Only these.
        case only(Set<String>)
    }

    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port.
        public var port: UInt16
        public var tokens: TokenPolicy
        /// Makes the pictures (and, later, the faults) reproducible.
        public var seed: UInt64
        /// The side of /generate's square images.
        public var imageSide: Int

        public init(host: String = "127.0.0.1", port: UInt16 = 0, tokens: TokenPolicy = .any, seed: UInt64 = 0, imageSide: Int = 512) {
            self.host = host
            self.port = port
            self.tokens = tokens
            self.seed = seed
            self.imageSide = imageSide
        }
    }

    public let configuration: Configuration
    private let server: HTTPServer
    private let core: EmulatorCore

    /// Binds the emulator's port; `start()` serves.
    public init(configuration: Configuration = Configuration()) throws(SystemError) {
        self.configuration = configuration
        let core = EmulatorCore(configuration: configuration)
        self.core = core
        server = try HTTPServer(configuration: .init(host: configuration.host, port: configuration.port)) { request in
            await core.handle(request)
        }
        core.setBaseURL(server.baseURL)
    }

    /// `http://HOST:PORT`.
    public var baseURL: String { server.baseURL }
    public var port: UInt16 { server.port }

    public func start() throws(SystemError) {
        try server.start()
    }

    public func stop() {
        server.stop()
    }

    /// Requests answered so far: endpoint -> status -> count.
    public var statistics: [String: [Int: Int]] { core.statistics }
}

/// The emulator's request handling, shared with the server's handler.
final class EmulatorCore: Sendable {
    let configuration: VisionCraftEmulator.Configuration
    private let base = Mutex("")
    private let counts = Mutex<[String: [Int: Int]]>([:])
    private let images = ImageCache(capacity: 64)

    init(configuration: VisionCraftEmulator.Configuration) {
        self.configuration = configuration
    }

    func setBaseURL(_ url: String) {
        base.withLock { $0 = url }
    }

    var statistics: [String: [Int: Int]] {
        counts.withLock { $0 }
    }

    func handle(_ request: HTTPRequest) async -> HTTPReply {
        let (endpoint, response) = route(request)
        counts.withLock { $0[endpoint, default: [:]][response.status.code, default: 0] += 1 }
        return .response(response)
    }

    // MARK: Routes

    private func route(_ request: HTTPRequest) -> (String, HTTPResponse) {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/models"):
            return (path, .json(.array(EmulatorCatalog.models.map(JSON.string))))
        case ("GET", "/samplers"):
            return (path, .json(.array(EmulatorCatalog.samplers.map(JSON.string))))
        case ("POST", "/generate"), ("POST", "/img2img"):
            return (path, generate(request, imageToImage: path == "/img2img"))
        case ("GET", _) where path.hasPrefix("/images/"):
            return ("/images", image(path))
        case (_, "/models"), (_, "/samplers"), (_, "/generate"), (_, "/img2img"):
            return (path, .json(["detail": "Method Not Allowed"], status: .methodNotAllowed))
        default:
            return ("other", .json(["detail": "Not Found"], status: .notFound))
        }
    }

    private func generate(_ request: HTTPRequest, imageToImage: Bool) -> HTTPResponse {
        let body: JSONObject
        do {
            guard case .object(let object) = try JSONParser.parse(request.body) else {
                return .json(["detail": [["loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"]]], status: .unprocessableContent)
            }
            body = object
        } catch {
            return .json(["detail": [["loc": ["body", .number(JSONNumber(error.offset))], "msg": "JSON decode error", "type": "value_error.jsondecode"]]], status: .unprocessableContent)
        }
        let validated = imageToImage
            ? GenerationRequest.imageToImage(body)
            : GenerationRequest.generate(body, defaultSide: configuration.imageSide)
        let generation: GenerationRequest
        switch validated {
        case .success(let valid): generation = valid
        case .failure(let errors): return .json(errors.body, status: .unprocessableContent)
        }
        if !accepts(generation.token) {
            return .json(["detail": "Your key is invalid or banned: subscribe to the channel and get a key from the bot"], status: .forbidden)
        }
        let key = generation.imageKey(seed: configuration.seed)
        let baseURL = base.withLock { $0 }
        let urls = (0..<generation.imageCount).map { index in
            JSON.string(baseURL + ImageSynthesizer.Spec(key: key, index: index, width: generation.width, height: generation.height).path)
        }
        return .json(["images": .array(urls)])
    }

    private func image(_ path: String) -> HTTPResponse {
        guard let spec = ImageSynthesizer.Spec(path: path) else {
            return .json(["detail": "Not Found"], status: .notFound)
        }
        if let cached = images.get(spec) {
            return HTTPResponse(status: .ok, headers: [("Content-Type", "image/png")], body: cached)
        }
        let picture = ImageSynthesizer.render(spec)
        guard let png = try? PNGCodec.encode(picture, options: .init(compressionLevel: 1)) else {
            return .json(["detail": "Internal Server Error"], status: .internalServerError)
        }
        images.put(spec, png)
        return HTTPResponse(status: .ok, headers: [("Content-Type", "image/png")], body: png)
    }

    private func accepts(_ token: String) -> Bool {
        switch configuration.tokens {
        case .any: !token.isEmpty
        case .only(let allowed): allowed.contains(token)
        }
    }
}

/// The last few encoded pictures (downloads of one generation come together).
final class ImageCache: Sendable {
    private let capacity: Int
    private let storage = Mutex<(entries: [ImageSynthesizer.Spec: [UInt8]], order: [ImageSynthesizer.Spec])>(([:], []))

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
