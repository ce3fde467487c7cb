import Backends
import HTTPClient
import Jobs
import JSON
import Posix

/// OpenAI's images API, and every server with its shape
/// (stable-diffusion.cpp's `sd-server`, LocalAI): the model list
/// (`GET /v1/models`), `POST /v1/images/generations` (JSON) and
/// `POST /v1/images/edits` (multipart/form-data) for image-to-image. The
/// key travels only as `Authorization: Bearer KEY`, and none at all when
/// there is none (a local server takes none); every key sent is scrubbed
/// from all text the server gives back (`UpstreamText`).
package final class OpenAIClient: Sendable {
    package struct Configuration: Sendable {
        /// OpenAI itself; a local server is configured by its URL (sd-server
        /// listens on http://127.0.0.1:1234).
        package static let defaultBaseURL = "https://api.openai.com"

        /// Up to the host (and port): the routes add `/v1/...`.
        package var baseURL: String
        /// For the model list and downloads.
        package var timeouts: HTTPClientRequest.Timeouts
        /// For a generation: nothing comes until the images are made, which
        /// takes a GPT image model minutes at high quality.
        package var generationTimeouts: HTTPClientRequest.Timeouts
        /// How long the model list is trusted.
        package var catalogLifetime: Duration
        /// The largest answer taken: the images come in it, in base64 (10
        /// PNGs of 1536 by 1024 come to about 40 MB).
        package var maximumAnswerBytes: Int
        /// The largest image downloaded from a `url` answer.
        package var maximumImageBytes: Int
        /// `quality` sent with every request ("low", "medium", "high",
        /// "auto" for GPT image models); nil sends none (the server's default).
        package var quality: String?
        /// `output_format` asked of GPT image models (the only ones that
        /// take it): png, jpeg or webp.
        package var outputFormat: String
        /// How the negative prompt is joined to the prompt, for a server
        /// that reads one there (LocalAI: "|"); nil: it is not sent (the
        /// API has no negative prompt).
        package var negativePromptSeparator: String?

        package init(
            baseURL: String = Configuration.defaultBaseURL,
            timeouts: HTTPClientRequest.Timeouts = .init(),
            generationTimeouts: HTTPClientRequest.Timeouts = .init(total: .seconds(900), lowSpeedTime: .seconds(900)),
            catalogLifetime: Duration = .seconds(3600),
            maximumAnswerBytes: Int = 256 << 20,
            maximumImageBytes: Int = 64 << 20,
            quality: String? = nil,
            outputFormat: String = "png",
            negativePromptSeparator: String? = nil
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.timeouts = timeouts
            self.generationTimeouts = generationTimeouts
            self.catalogLifetime = catalogLifetime
            self.maximumAnswerBytes = maximumAnswerBytes
            self.maximumImageBytes = maximumImageBytes
            self.quality = quality
            self.outputFormat = outputFormat
            self.negativePromptSeparator = negativePromptSeparator
        }
    }

    package let configuration: Configuration
    let httpClient: HTTPClient
    /// Reads a local init image that comes named rather than read.
    package let initImages: InitImageReader
    /// The key the model list is asked with: the seam's `catalog()` takes none.
    private let catalogKey: @Sendable () -> String?
    private let catalog: CatalogCache<[String], BackendFailure>
    /// The keys this client has sent: a server may echo one on a later request too.
    private let sentKeys = SentKeys()

    /// How long a failed model list fetch is remembered before the next try.
    package static let catalogRetryDelay: Duration = .seconds(15)

    /// - Parameter catalogKey: the key the model list is asked with (the
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

    // MARK: Models

    /// Every model id `GET /v1/models` lists, in its order (cached for
    /// `catalogLifetime`). No id is left out: which ones make images is not
    /// said by the API, and names change often; the user picks. A server
    /// without the route (404) lists none, and any model may be named.
    package func models() async throws(BackendFailure) -> [String] {
        try await catalog.value(fetch: { [self] () throws(BackendFailure) in try await fetchModels() }, unexpected: { .transient("\($0)", retryAfter: nil) })
    }

    /// Forgets the cached model list.
    package func invalidateCatalog() {
        catalog.invalidate()
    }

    /// Whether the model list (or a recent failure to get it) is at hand.
    package var catalogIsSettled: Bool { catalog.isSettled }

    private func fetchModels() async throws(BackendFailure) -> [String] {
        let key = Self.bearer(catalogKey())
        let keys = sentKeys.including(key)
        let request = HTTPClientRequest(url: "\(configuration.baseURL)/v1/models", timeouts: configuration.timeouts)
        let response = try await send(request, key: key, accepting: [404])
        if response.status == 404 { return [] }
        guard let json = try? JSONParser.parse(response.body), let items = json["data"]?.arrayValue else {
            throw .protocolViolation("GET /v1/models did not answer {\"data\": [...]}")
        }
        var ids: [String] = []
        for item in items {
            guard let id = item["id"]?.stringValue else {
                throw .protocolViolation("GET /v1/models listed a model without an \"id\" string: " + OpenAIAnswer.excerpt(item.description, keys: keys))
            }
            let scrubbed = UpstreamText.scrubbed(id, keys: keys)
            guard scrubbed.utf8.count <= UpstreamText.maximumNameBytes else {
                throw .protocolViolation(
                    "GET /v1/models listed an id of \(scrubbed.utf8.count) bytes, over the \(UpstreamText.maximumNameBytes) taken: "
                        + OpenAIAnswer.excerpt(scrubbed, keys: [])
                )
            }
            ids.append(scrubbed)
        }
        return ids
    }

    // MARK: Generation

    /// `POST /v1/images/generations`, or `/v1/images/edits` with an init
    /// image: the images in the answer, or the URLs it names.
    package func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        let http: HTTPClientRequest
        let route: String
        if let initImage = request.initImage {
            let image = try await read(initImage)
            route = "POST /v1/images/edits"
            let form = Self.editForm(request, image: image, configuration: configuration)
            http = HTTPClientRequest(
                method: "POST", url: "\(configuration.baseURL)/v1/images/edits", headers: [("Content-Type", form.contentType)], body: form.closed,
                timeouts: configuration.generationTimeouts, maximumResponseBytes: configuration.maximumAnswerBytes
            )
        } else {
            route = "POST /v1/images/generations"
            http = HTTPClientRequest(
                method: "POST", url: "\(configuration.baseURL)/v1/images/generations", headers: [("Content-Type", "application/json")],
                body: JSONSerializer.serialize(.object(JSONObject(Self.fields(request, configuration: configuration)))),
                timeouts: configuration.generationTimeouts, maximumResponseBytes: configuration.maximumAnswerBytes
            )
        }
        let response = try await send(http, key: key)
        return try OpenAIAnswer.outcome(response.body, route: route, keys: sentKeys.including(Self.bearer(key)))
    }

    /// Whether `model` is one of OpenAI's GPT image models (gpt-image-1,
    /// gpt-image-1-mini, chatgpt-image-latest...), which always answer in
    /// base64, refuse `response_format` and alone take `output_format`.
    static func isGPTImageModel(_ model: String?) -> Bool {
        model?.lowercased().contains("gpt-image") == true
    }

    /// The request's fields, in the API's terms, for both routes: `prompt`
    /// (with the negative prompt joined when configured), `model` when
    /// named, `n`, `size` as `WxH` when both sides are given, `quality`
    /// when configured, `output_format` for GPT image models, and
    /// `response_format: b64_json` for any other model named (so that
    /// images come in the answer; with no model named the server's default
    /// model is unknown, and a URL answer is downloaded instead). No seed,
    /// steps, guidance, sampler or schedule: the API takes none.
    static func fields(_ request: GenerationRequest, configuration: Configuration) -> [(String, JSON)] {
        var prompt = request.prompt
        if let separator = configuration.negativePromptSeparator, !request.negativePrompt.isEmpty {
            prompt += separator + request.negativePrompt
        }
        var fields: [(String, JSON)] = [("prompt", .string(prompt))]
        if let model = request.model { fields.append(("model", .string(model))) }
        fields.append(("n", .number(JSONNumber(request.count))))
        if let width = request.width, let height = request.height { fields.append(("size", .string("\(width)x\(height)"))) }
        if let quality = configuration.quality { fields.append(("quality", .string(quality))) }
        if isGPTImageModel(request.model) {
            fields.append(("output_format", .string(configuration.outputFormat)))
        } else if request.model != nil {
            fields.append(("response_format", "b64_json"))
        }
        return fields
    }

    /// The edit's form: the init image as the `image` file, then the same
    /// fields as a generation, each as text.
    static func editForm(_ request: GenerationRequest, image: FetchedImage, configuration: Configuration) -> MultipartForm {
        var form = MultipartForm()
        form.append("image", file: image.bytes, filename: "image.\(image.format.fileExtension)", contentType: image.format.mimeType)
        for (name, value) in fields(request, configuration: configuration) {
            form.append(name, value.stringValue ?? value.description)
        }
        return form
    }

    /// The init image's bytes: read when it is a local file, downloaded when
    /// it is a URL (the edits route takes the file itself).
    private func read(_ initImage: GenerationRequest.InitImage) async throws(BackendFailure) -> FetchedImage {
        switch initImage {
        case .inline(let image):
            return image
        case .file(let path):
            do {
                return try await initImages.read(path)
            } catch let problem as ParameterProblem {
                throw .invalid(problem.message, field: problem.field)
            } catch {
                throw .transient("\(error)", retryAfter: nil)
            }
        case .url(let url):
            do throws(DownloadError) {
                return try await fetch(url)
            } catch {
                switch error {
                case .transient: throw .transient("the init image: \(error)", retryAfter: nil)
                default: throw .invalid("the init image: \(error)", field: JobField.initImage.wireName)
                }
            }
        }
    }

    // MARK: Downloads

    /// One image a `url` answer named: redirects followed (http and https
    /// only), at most `maximumImageBytes`, checked to be an image. No key
    /// is sent: the URLs are signed for themselves.
    package func fetch(_ url: String) async throws(DownloadError) -> FetchedImage {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.perform(HTTPClientRequest(
                url: url, timeouts: configuration.timeouts, maximumResponseBytes: configuration.maximumImageBytes, followRedirects: true
            ))
        } catch {
            if error.kind == .responseTooLarge { throw .tooLarge(limit: configuration.maximumImageBytes) }
            let message = UpstreamText.message(error.message, keys: sentKeys.including(nil))
            if error.kind == .redirectRefused { throw .redirectRefused(message) }
            throw .transient(message)
        }
        switch response.status {
        case 200..<300: break
        case 408, 429, 500..<600: throw .transient("HTTP \(response.status)")
        default: throw .gone(status: response.status)
        }
        guard let image = FetchedImage(checking: response.body) else { throw .notAnImage(response.body) }
        return image
    }

    // MARK: Sending

    /// The key sent as the Bearer token: an empty one is none (a local
    /// server configured with no key).
    static func bearer(_ key: String?) -> String? {
        key.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Sends `request`, with the key as a Bearer token when there is one;
    /// an answer outside 2xx and `accepting`, or a failed transfer, is
    /// thrown classified.
    private func send(_ request: HTTPClientRequest, key: String?, accepting: Set<Int> = []) async throws(BackendFailure) -> HTTPClientResponse {
        let key = Self.bearer(key)
        let keys = sentKeys.including(key)
        var request = request
        if let key { request.headers.append(("Authorization", "Bearer \(key)")) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.perform(request)
        } catch {
            throw OpenAIFailures.transport(error, keys: keys)
        }
        guard (200..<300).contains(response.status) || accepting.contains(response.status) else {
            let failure = OpenAIFailures.classify(
                status: response.status, retryAfterHeader: response.header("retry-after"), retryAfterMilliseconds: response.header("retry-after-ms"),
                body: response.body, keys: keys, sentKey: key != nil, now: Double(WallClock.now().milliseconds) / 1000
            )
            if case .invalid(_, let field?) = failure, field == JobField.model.wireName { invalidateCatalog() }
            throw failure
        }
        return response
    }
}
