import A1111API
import Backends
import Base64Coding
import HTTPClient
import HTTPServer
import JSON
import Posix

/// A small AUTOMATIC1111 over real HTTP, answering as `modules/api/api.py`
/// does: the three lists, txt2img and img2img (images in base64, `info` a
/// JSON string with `all_seeds` and `infotexts`), `--api-auth` with 401 and
/// `WWW-Authenticate`, A1111's error bodies. It keeps every request it was
/// sent; `override` answers a route instead, for the failure tests.
final class FakeA1111: Sendable {
    struct Settings: Sendable {
        /// `(title, model_name)` pairs.
        var models: [(String, String)] = [("v1-5-pruned-emaonly.safetensors [6ce0161689]", "v1-5-pruned-emaonly"), ("sdxl/juggernautXL.safetensors [d91d35736d]", "sdxl/juggernautXL")]
        /// `(name, aliases)` pairs.
        var samplers: [(String, [String])] = [("Euler a", ["k_euler_a", "k_euler_ancestral"]), ("DPM++ 2M", ["k_dpmpp_2m"]), ("Euler", ["k_euler"])]
        /// `(name, label)` pairs; nil: a version without the route (404).
        var schedulers: [(String, String)]? = [("automatic", "Automatic"), ("karras", "Karras"), ("exponential", "Exponential")]
        /// `--api-auth user:password`; nil: none.
        var auth: String?
        /// Answer the grid first, as a server set to return one does.
        var grid = false
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
    func client(catalogKey: String? = nil) throws -> A1111Client {
        A1111Client(configuration: .init(baseURL: baseURL, timeouts: .init(total: .seconds(60))), http: try HTTPClient(), catalogKey: { catalogKey })
    }

    /// The bytes of image `index` of a request: a PNG signature and what tells them apart.
    static func png(_ index: Int) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("image \(index)".utf8)
    }

    /// The infotext A1111 writes for an image.
    static func infotext(_ prompt: String, seed: Int, sampler: String) -> String {
        "\(prompt)\nNegative prompt: ugly\nSteps: 20, Sampler: \(sampler), Schedule type: Karras, CFG scale: 7, Seed: \(seed), Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1"
    }

    /// An A1111 error body (`api_middleware`'s `handle_exception`).
    static func error(_ status: Int, _ detail: String, kind: String = "HTTPException") -> HTTPReply {
        .response(.json(
            ["error": .string(kind), "detail": .string(detail), "body": "", "errors": .string("\(status): \(detail)")],
            status: HTTPStatus(code: status, reason: "Error")
        ))
    }

    private static func answer(_ request: HTTPRequest, _ settings: Settings) -> HTTPReply {
        if let auth = settings.auth, request.header("authorization") != "Basic " + Base64.encode(Array(auth.utf8)) {
            return .response(.json(
                ["detail": "Incorrect username or password"], status: HTTPStatus(code: 401, reason: "Unauthorized"), headers: [("WWW-Authenticate", "Basic")]
            ))
        }
        switch (request.method, request.path) {
        case ("GET", "/sdapi/v1/sd-models"):
            return .response(.json(.array(settings.models.map { title, name in
                ["title": .string(title), "model_name": .string(name), "hash": "6ce0161689", "sha256": nil, "filename": .string("/models/\(name).safetensors"), "config": nil]
            })))
        case ("GET", "/sdapi/v1/samplers"):
            return .response(.json(.array(settings.samplers.map { name, aliases in
                ["name": .string(name), "aliases": .array(aliases.map(JSON.string)), "options": [:]]
            })))
        case ("GET", "/sdapi/v1/schedulers"):
            guard let schedulers = settings.schedulers else { return .response(.json(["detail": "Not Found"], status: .notFound)) }
            return .response(.json(.array(schedulers.map { name, label in
                ["name": .string(name), "label": .string(label), "aliases": nil, "default_rho": -1, "need_inner_model": false]
            })))
        case ("GET", "/sdapi/v1/progress"):
            return .response(.json([
                "progress": 0.25, "eta_relative": 12.5, "state": ["job_count": 1, "sampling_step": 5, "sampling_steps": 20],
                "current_image": request.target.contains("skip_current_image=true") ? nil : .string(Base64.encode(png(0))), "textinfo": nil,
            ]))
        case ("POST", "/sdapi/v1/txt2img"), ("POST", "/sdapi/v1/img2img"):
            return generation(request, settings)
        default:
            return .response(.json(["detail": "Not Found"], status: .notFound))
        }
    }

    private static func generation(_ request: HTTPRequest, _ settings: Settings) -> HTTPReply {
        guard let body = try? JSONParser.parse(request.body), let prompt = body["prompt"]?.stringValue else {
            return .response(.json(["detail": [["loc": ["body"], "msg": "field required", "type": "value_error.missing"]]], status: .unprocessableContent))
        }
        let sampler = body["sampler_name"]?.stringValue ?? "Euler"
        guard settings.samplers.contains(where: { $0.0 == sampler }) else { return error(404, "Sampler not found") }
        let count = body["batch_size"]?.intValue ?? 1
        let first = body["seed"]?.intValue.flatMap { $0 == -1 ? nil : $0 } ?? 1_234_567
        let seeds = (0..<count).map { first + $0 }
        var images = seeds.indices.map { JSON.string(Base64.encode(png($0))) }
        var infotexts = seeds.map { JSON.string(infotext(prompt, seed: $0, sampler: sampler)) }
        if settings.grid {
            images.insert(.string(Base64.encode(png(99))), at: 0)
            infotexts.insert("the grid's", at: 0)
        }
        let info: JSON = [
            "prompt": .string(prompt), "seed": .number(JSONNumber(first)), "all_seeds": .array(seeds.map { .number(JSONNumber($0)) }),
            "infotexts": .array(infotexts), "index_of_first_image": settings.grid ? 1 : 0, "sd_model_name": "v1-5-pruned-emaonly",
        ]
        return .response(.json(["images": .array(images), "parameters": body, "info": .string(JSONSerializer.serializeToString(info))]))
    }
}
