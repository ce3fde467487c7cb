import Base64Coding
import HTTPServer
import Imaging
import JSON
import Posix

/// The OpenAI emulator's request handling (`OpenAIEmulator` serves it):
/// the routes, checks, errors and answers of OpenAI's images API.
final class OpenAIService: EmulatedAPI {
    let configuration: OpenAIEmulator.Configuration
    private let base = Lock("")
    private let state: Lock<State>
    /// Pictures answered as URLs, kept for their downloads.
    private let images = ImageCache(capacity: 20)

    private struct State {
        var plan: FaultPlan
        /// Fault decisions, in request order.
        var random: SplitMix64
        var counts: [String: [Int: Int]] = [:]
        var imagesMade = 0
        /// Numbers the generations, so that each one's pictures differ.
        var generations: UInt64 = 0
        /// The rate limit's 429s, one window for every key.
        var retryAfter = RetryAfterWindows()

        init(_ configuration: OpenAIEmulator.Configuration) {
            plan = configuration.faults
            random = SplitMix64(state: configuration.seed)
        }
    }

    /// The routes' names in the statistics, by method and path.
    private static let endpoints: Set<String> = ["POST /v1/images/generations", "POST /v1/images/edits", "GET /v1/models"]

    private let clockOrigin = MonotonicInstant.now()

    init(configuration: OpenAIEmulator.Configuration) {
        self.configuration = configuration
        state = Lock(State(configuration))
    }

    package func setBaseURL(_ url: String) {
        base.withLock { $0 = url }
    }

    package var statistics: [String: [Int: Int]] { state.withLock { $0.counts } }

    var imagesMade: Int { state.withLock { $0.imagesMade } }


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
        let (method, path) = (request.method, request.path)
        let endpoint = "\(method) \(path)"
        if method == "GET", path.hasPrefix("/images/") {
            // Like the API's links (signed storage URLs), downloads take no key.
            return ("GET /images", download(path))
        }
        let modelPrefix = "/v1/models/"
        let known = Self.endpoints.contains(endpoint) || (method == "GET" && path.hasPrefix(modelPrefix) && path.count > modelPrefix.count)
        guard known else { return ("other", .response(OpenAIError.invalidURL(method, path).response)) }
        let name = Self.endpoints.contains(endpoint) ? endpoint : "GET /v1/models/{model}"
        if let refusal = authenticate(request) { return (name, .response(refusal.response)) }
        switch endpoint {
        case "POST /v1/images/generations": return (name, generate(request))
        case "POST /v1/images/edits": return (name, edit(request))
        case "GET /v1/models": return (name, .response(.json(["object": "list", "data": .array(OpenAICatalog.models.map(\.json))])))
        default:
            let id = String(path.dropFirst(modelPrefix.count))
            guard let model = OpenAICatalog.model(id) else { return (name, .response(OpenAIError.modelNotFound(id).response)) }
            return (name, .response(.json(model.json)))
        }
    }

    /// `Authorization: Bearer KEY`, when keys are configured.
    private func authenticate(_ request: HTTPRequest) -> OpenAIError? {
        guard !configuration.apiKeys.isEmpty else { return nil }
        guard let header = request.header("authorization"), let space = header.firstIndex(of: " "),
            header[..<space].lowercased() == "bearer"
        else { return .missingKey }
        let key = header[header.index(after: space)...].trimmingCharacters(in: " \t")
        guard !key.isEmpty else { return .missingKey }
        return configuration.apiKeys.contains(key) ? nil : .incorrectKey(key)
    }

    private func generate(_ request: HTTPRequest) -> HTTPReply {
        guard case .object(let fields)? = try? JSONParser.parse(request.body) else {
            return .response(OpenAIError.unparsableJSON.response)
        }
        switch OpenAIImageRequest.parse(fields, edit: false, form: false) {
        case .success(let parsed): return produce(parsed, inputHash: 0, inputImages: 0)
        case .failure(let error): return .response(error.response)
        }
    }

    /// `POST /v1/images/edits`: a form with `image` or `image[]` files (PNG
    /// here), an optional `mask`, and the generation's text fields.
    private func edit(_ request: HTTPRequest) -> HTTPReply {
        let contentType = request.header("content-type")
        guard let boundary = MultipartForm.boundary(contentType: contentType) else {
            return .response(
                OpenAIError.invalid(
                    "Invalid Content-Type header (\(contentType ?? "none")), expected multipart/form-data. "
                        + "(HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')", param: nil, code: nil
                ).response)
        }
        let form: MultipartForm
        do {
            form = try MultipartForm(request.body, boundary: boundary)
        } catch {
            return .response(OpenAIError.invalid("Could not parse multipart form: \(error.reason).", param: nil, code: nil).response)
        }
        var fields = JSONObject()
        for part in form.parts where !["image", "image[]", "mask"].contains(part.name) { fields[part.name] = .string(part.text) }
        let files = form.parts.filter { $0.name == "image" || $0.name == "image[]" }
        guard !files.isEmpty else { return .response(OpenAIError.missing("image").response) }
        guard files.count <= OpenAICatalog.editImages.upperBound else {
            return .response(
                OpenAIError.invalid(
                    "Invalid 'image': array too long. Expected an array with maximum length \(OpenAICatalog.editImages.upperBound), but got an array with length \(files.count) instead.",
                    param: "image", code: "array_above_max_length"
                ).response)
        }
        var sizes: [(width: Int, height: Int)] = []
        var inputHash: UInt64 = 0xCBF2_9CE4_8422_2325
        for (index, file) in files.enumerated() {
            switch Self.picture(file, param: "image", number: index + 1) {
            case .success(let size): sizes.append(size)
            case .failure(let error): return .response(error.response)
            }
            inputHash = A1111Pictures.mix(inputHash, file.data)
        }
        if let mask = form.parts(named: "mask").first {
            switch Self.picture(mask, param: "mask", number: 1) {
            case .success(let size) where size != sizes[0]:
                return .response(
                    OpenAIError.invalid(
                        "Invalid mask image: it must be the same size as the first image (\(sizes[0].width)x\(sizes[0].height)), but it is \(size.width)x\(size.height).",
                        param: "mask", code: "invalid_image"
                    ).response)
            case .failure(let error): return .response(error.response)
            default: break
            }
        }
        // "auto" follows the first image's shape.
        let first = sizes[0]
        let auto = first.width * 5 > first.height * 6 ? (1536, 1024) : first.height * 5 > first.width * 6 ? (1024, 1536) : (1024, 1024)
        switch OpenAIImageRequest.parse(fields, edit: true, form: true, autoSize: auto) {
        case .success(let parsed): return produce(parsed, inputHash: inputHash, inputImages: files.count)
        case .failure(let error): return .response(error.response)
        }
    }

    /// An uploaded picture's size; the emulator reads PNG only.
    private static func picture(_ part: MultipartForm.Part, param: String, number: Int) -> Result<(width: Int, height: Int), OpenAIError> {
        guard PNGCodec.hasSignature(part.data) else {
            let type = part.contentType ?? "application/octet-stream"
            return .failure(
                .invalid(
                    "Invalid file '\(param)': unsupported mimetype ('\(type)'). Supported file formats are 'image/png' (this emulator reads PNG only).",
                    param: param, code: "unsupported_file_mimetype"))
        }
        guard let size = try? PNGCodec.verify(part.data) else {
            return .failure(.invalid("Invalid image file or mode for \(param) \(number), please check your image file.", param: param, code: "invalid_image_file"))
        }
        return .success(size)
    }

    /// The answer to a checked request: the quota, the fault plan, then the pictures.
    private func produce(_ request: OpenAIImageRequest, inputHash: UInt64, inputImages: Int) -> HTTPReply {
        let drawn: (decision: FaultDecision, plan: FaultPlan, number: UInt64)? = state.withLock { state in
            let now = clockOrigin.elapsed.seconds
            state.retryAfter.request(from: "", at: now)
            if let quota = configuration.quotaImages, state.imagesMade >= quota { return nil }
            let decision = FaultDecision.generation(state.plan, &state.random)
            if decision == .tooManyRequests { state.retryAfter.opened(for: "", at: now, seconds: Double(state.plan.retryAfterSeconds)) }
            if decision == .none {
                state.imagesMade += request.count
                state.generations += 1
            }
            return (decision, state.plan, state.generations)
        }
        guard let (decision, plan, number) = drawn else { return .response(OpenAIError.insufficientQuota.response) }
        if let fault = Self.faultReply(decision, model: request.model.id, plan: plan) { return fault }

        var key = A1111Pictures.mix(configuration.seed ^ inputHash, Array("\(request.model.id)\u{0}\(request.prompt)".utf8))
        key = A1111Pictures.mix(key, Array(String(number).utf8))
        let baseURL = base.withLock { $0 }
        var data: [JSON] = []
        for index in 0..<request.count {
            let spec = ImageSynthesizer.Spec(key: key, index: index, width: request.width, height: request.height)
            if request.responseFormat == "url" {
                data.append(["url": .string(baseURL + spec.path)])
                continue
            }
            guard let png = Self.encode(spec) else { return .response(OpenAIError.serverError.response) }
            data.append(["b64_json": .string(Base64.encode(png))])
        }
        var body: JSONObject = ["created": .number(JSONNumber(WallClock.now().seconds)), "data": .array(data)]
        if request.model.kind == .gptImage {
            body["background"] = .string(request.background)
            body["output_format"] = "png"
            body["quality"] = .string(request.quality)
            body["size"] = .string(request.size)
            let text = max(1, (request.prompt.utf8.count + 3) / 4)
            let image = inputImages * OpenAICatalog.inputImageTokens
            let output = request.count * OpenAICatalog.outputTokens(quality: request.quality, square: request.width == request.height)
            body["usage"] = [
                "input_tokens": .number(JSONNumber(text + image)), "output_tokens": .number(JSONNumber(output)),
                "total_tokens": .number(JSONNumber(text + image + output)),
                "input_tokens_details": ["text_tokens": .number(JSONNumber(text)), "image_tokens": .number(JSONNumber(image))],
                "output_tokens_details": ["text_tokens": 0, "image_tokens": .number(JSONNumber(output))],
            ]
        }
        let response = HTTPResponse.json(.object(body))
        return request.responseFormat == "url" ? .response(response) : transferFault(response)
    }

    private static func encode(_ spec: ImageSynthesizer.Spec) -> [UInt8]? {
        // Fast over small, as the other emulators: these pictures are flat shapes.
        let options = PNGCodec.Options(compressionLevel: 1, filters: PNGCodec.Options.noFilter)
        return try? PNGCodec.encode(ImageSynthesizer.render(spec), options: options)
    }

    /// `GET /images/<key>-<index>-<W>x<H>.png`: a URL answer's picture.
    private func download(_ path: String) -> HTTPReply {
        guard let spec = ImageSynthesizer.Spec(path: path, maximumSide: OpenAICatalog.localSides.upperBound) else {
            return .response(HTTPResponse(status: .notFound, headers: [("Content-Type", "text/plain")], body: Array("Not Found".utf8)))
        }
        let png: [UInt8]
        if let cached = images.get(spec) {
            png = cached
        } else {
            guard let encoded = Self.encode(spec) else { return .response(OpenAIError.serverError.response) }
            images.put(spec, encoded)
            png = encoded
        }
        let decision = state.withLock { FaultDecision.download($0.plan, &$0.random) }
        return decision.imageReply(png) ?? .response(OpenAIError.serverError.response)
    }

    // MARK: Faults

    /// A generation fault's answer: OpenAI's 500 and 503, a proxy's 502
    /// page, the rate limit's 429, or a 200 that breaks the promise.
    private static func faultReply(_ decision: FaultDecision, model: String, plan: FaultPlan) -> HTTPReply? {
        switch decision {
        case .reset:
            return .resetConnection
        case .serverError(let status) where status == .badGateway:
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
            return .response(HTTPResponse(status: status, headers: [("Content-Type", "text/html")], body: Array(page.utf8)))
        case .serverError(let status):
            return .response((status == .serviceUnavailable ? OpenAIError.overloaded : OpenAIError.serverError).response)
        case .tooManyRequests:
            return .response(OpenAIError.rateLimited(model, retryAfterSeconds: plan.retryAfterSeconds).response)
        case .malformed(let variant):
            let created = JSON.number(JSONNumber(WallClock.now().seconds))
            switch variant {
            case 0: return .response(HTTPResponse(status: .ok, headers: [("Content-Type", "text/html")], body: Array("<html><body>Bad gateway</body></html>".utf8)))
            case 1: return .response(.json(["created": created]))
            case 2: return .response(.json(["created": created, "data": []]))
            default: return .response(.json(["created": created, "data": [["b64_json": "not base64!"], ["url": 5]]]))
            }
        default:
            return nil
        }
    }

    /// Base64 pictures travel in the answer, so the plan's download faults
    /// apply to it (a reset was already drawn for the request).
    private func transferFault(_ response: HTTPResponse) -> HTTPReply {
        let decision = state.withLock { FaultDecision.download($0.plan, &$0.random) }
        switch decision {
        case .truncated: return .truncated(response, bodyBytes: response.body.count / 2)
        case .slow: return .throttled(response, chunkBytes: 16 * 1024, interval: .milliseconds(50))
        case .corrupt, .bomb:
            guard case .object(var body)? = try? JSONParser.parse(response.body), var data = body["data"]?.arrayValue, !data.isEmpty,
                let first = data[0]["b64_json"]?.stringValue, let png = Base64.decode(first)
            else { return .response(response) }
            if case .bomb(let side) = decision {
                guard let bomb = FaultDecision.bomb(side: side) else { return .response(response) }
                data[0] = ["b64_json": .string(Base64.encode(bomb))]
            } else {
                data[0] = ["b64_json": .string(Base64.encode(FaultDecision.damaged(png)))]
            }
            body["data"] = .array(data)
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
        [
            "early_requests": .number(JSONNumber(state.withLock { $0.retryAfter.earlyRequests })),
            "images": ["made": .number(JSONNumber(imagesMade)), "quota": configuration.quotaImages.map { .number(JSONNumber($0)) } ?? .null],
        ]
    }

    func reset() {
        state.withLock { $0 = State(configuration) }
    }

}
