import Backends
import Base64Coding
import HTTPClient
import HTTPServer
import JSON
import OpenAIAPI
import Posix

/// A small OpenAI images API over real HTTP, answering as the API reference
/// documents: `GET /v1/models` (`{object: "list", data: [{id, object,
/// created, owned_by}]}`), `/v1/images/generations` and `/v1/images/edits`
/// (`{created, data: [{b64_json | url, revised_prompt}], usage}`: base64 for
/// GPT image models and when `response_format` is `b64_json`, a URL to
/// `/files/N.png` otherwise), 401 without the right Bearer key, and
/// OpenAI's error bodies. It keeps every request it was sent; `override`
/// answers a route instead, for the failure tests.
final class FakeOpenAI: Sendable {
    struct Settings: Sendable {
        var models = ["gpt-image-1", "gpt-image-1-mini", "dall-e-3", "gpt-4o", "Stable-Diffusion-XL"]
        /// The Bearer key it takes; nil: none needed (a local server).
        var key: String?
    }

    let server: HTTPServer
    private let state: Lock<(requests: [HTTPRequest], override: (@Sendable (HTTPRequest) -> HTTPReply?)?)>

    init(_ settings: Settings = Settings()) throws {
        let state = Lock<(requests: [HTTPRequest], override: (@Sendable (HTTPRequest) -> HTTPReply?)?)>(([], nil))
        self.state = state
        server = try HTTPServer { request in
            let override = state.withLock { state in
                state.requests.append(request)
                return state.override
            }
            if let reply = override?(request) { return reply }
            return Self.answer(request, settings)
        }
        try server.start()
    }

    deinit { server.stop() }

    var baseURL: String { server.baseURL }

    /// The requests sent to `path`, in order.
    func requests(to path: String) -> [HTTPRequest] {
        state.withLock { $0.requests.filter { $0.path == path } }
    }

    /// The body of the last request to `path`, parsed.
    func lastBody(_ path: String) throws -> JSON {
        try JSONParser.parse(requests(to: path).last?.body ?? [])
    }

    /// Answers requests `reply` gives a reply for, from now on.
    func override(_ reply: @escaping @Sendable (HTTPRequest) -> HTTPReply?) {
        state.withLock { $0.override = reply }
    }

    /// A client of this server.
    func client(catalogKey: String? = nil, configuration: OpenAIClient.Configuration? = nil) throws -> OpenAIClient {
        var configuration = configuration ?? .init()
        configuration.baseURL = baseURL
        configuration.timeouts = .init(total: .seconds(60))
        return OpenAIClient(configuration: configuration, http: try HTTPClient(), catalogKey: { catalogKey })
    }

    /// The bytes of image `index` of a request: a PNG signature and what tells them apart.
    static func png(_ index: Int) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("image \(index)".utf8)
    }

    /// An OpenAI error body.
    static func error(_ status: Int, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil, headers: [(name: String, value: String)] = []) -> HTTPReply {
        .response(.json(
            ["error": ["message": .string(message), "type": .string(type), "param": param.map(JSON.string) ?? .null, "code": code.map(JSON.string) ?? .null]],
            status: HTTPStatus(code: status, reason: "Error"), headers: headers
        ))
    }

    private static func answer(_ request: HTTPRequest, _ settings: Settings) -> HTTPReply {
        if let key = settings.key, request.header("authorization") != "Bearer \(key)" {
            return error(401, "Incorrect API key provided: \(request.header("authorization")?.dropFirst(7) ?? "none"). You can find your API key at https://platform.openai.com/account/api-keys.", code: "invalid_api_key")
        }
        switch (request.method, request.path) {
        case ("GET", "/v1/models"):
            return .response(.json(["object": "list", "data": .array(settings.models.map { ["id": .string($0), "object": "model", "created": 1_700_000_000, "owned_by": "system"] })]))
        case ("POST", "/v1/images/generations"):
            guard let body = try? JSONParser.parse(request.body), let object = body.objectValue else { return error(400, "We could not parse the JSON body of your request.") }
            return images(fields: Dictionary(uniqueKeysWithValues: object.map { ($0.key, $0.value.stringValue ?? $0.value.description) }), host: request.header("host"), settings)
        case ("POST", "/v1/images/edits"):
            guard let parts = Multipart.parts(request), parts["image"]?.filename != nil else { return error(400, "Missing required parameter: 'image'.", param: "image") }
            return images(fields: parts.mapValues { String(decoding: $0.bytes, as: UTF8.self) }, host: request.header("host"), settings)
        case ("GET", let path) where path.hasPrefix("/files/"):
            let index = Int(path.dropFirst("/files/".count).prefix { $0.isNumber }) ?? 0
            return .response(HTTPResponse(status: .ok, headers: [("Content-Type", "image/png")], body: png(index)))
        default:
            return error(404, "Invalid URL (\(request.method) \(request.path))")
        }
    }

    /// `host`: the request's `Host`, where the URLs of a URL answer lead.
    private static func images(fields: [String: String], host: String?, _ settings: Settings) -> HTTPReply {
        guard let prompt = fields["prompt"], !prompt.isEmpty else { return error(400, "Missing required parameter: 'prompt'.", param: "prompt") }
        let model = fields["model"] ?? "gpt-image-1"
        guard settings.models.contains(model) else { return error(404, "The model '\(model)' does not exist", param: "model", code: "model_not_found") }
        let gpt = model.contains("gpt-image")
        if gpt, fields["response_format"] != nil { return error(400, "Unknown parameter: 'response_format'.", param: "response_format", code: "unknown_parameter") }
        let count = Int(fields["n"] ?? "1") ?? 1
        let base64 = gpt || fields["response_format"] == "b64_json"
        let data: [JSON] = (0..<count).map { index in
            base64 ? ["b64_json": .string(Base64.encode(png(index))), "revised_prompt": .string("revised: \(prompt)")] : ["url": .string("http://\(host ?? "")/files/\(index).png")]
        }
        return .response(.json(["created": 1_700_000_000, "data": .array(data), "usage": ["total_tokens": 100, "input_tokens": 50, "output_tokens": 50]]))
    }
}

/// A `multipart/form-data` body, read as the fake needs it.
enum Multipart {
    struct Part: Sendable, Equatable {
        var filename: String?
        var contentType: String?
        var bytes: [UInt8]
    }

    /// The parts by name; nil when the body is not multipart.
    static func parts(_ request: HTTPRequest) -> [String: Part]? {
        guard let type = request.header("content-type"), type.hasPrefix("multipart/form-data; boundary="),
            let boundary = type.split(separator: "=", maxSplits: 1).last
        else { return nil }
        let delimiter = Array("--\(boundary)".utf8)
        let body = request.body
        var starts: [Int] = []
        var index = 0
        while index + delimiter.count <= body.count {
            if body[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                starts.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        guard starts.count >= 2, body[(starts.last! + delimiter.count)...].starts(with: Array("--".utf8)) else { return nil }
        var parts: [String: Part] = [:]
        for (start, end) in zip(starts, starts.dropFirst()) {
            // "--boundary\r\n" head "\r\n\r\n" content "\r\n" next delimiter
            let chunk = Array(body[(start + delimiter.count + 2)..<(end - 2)])
            guard let split = (0..<max(0, chunk.count - 3)).first(where: { chunk[$0..<($0 + 4)].elementsEqual(Array("\r\n\r\n".utf8)) }) else { return nil }
            let head = String(decoding: chunk[..<split], as: UTF8.self)
            let content = Array(chunk[(split + 4)...])
            guard let name = value(of: "name", in: head) else { return nil }
            let contentType = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }.map { String($0.dropFirst("content-type:".count)).trimmingSpaces }
            parts[name] = Part(filename: value(of: "filename", in: head), contentType: contentType, bytes: content)
        }
        return parts
    }

    private static func value(of attribute: String, in head: String) -> String? {
        guard let range = head.firstRange(of: " \(attribute)=\"") else { return nil }
        return String(head[range.upperBound...].prefix { $0 != "\"" })
    }
}
