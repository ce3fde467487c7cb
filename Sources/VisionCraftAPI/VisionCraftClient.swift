import Backends
import HTTPClient
import Jobs
import JSON
import NameMatching
import Posix

/// The VisionCraft API: models, samplers, generate, img2img and image
/// downloads, with validation before anything is sent and every outcome
/// classified (`UpstreamError`). The key travels only in request bodies, as
/// documented, and every key sent is scrubbed from all text the upstream
/// gives back (`UpstreamText`), on any request, keyed or not.
public final class VisionCraftClient: Sendable {
    public struct Configuration: Sendable {
        /// The documented host; the service has moved often, so it is
        /// configuration (`visioncraftd --upstream`, `VISIONCRAFT_UPSTREAM`).
        public static let documentedBaseURL = "http://loplequ.domcloud.io"

        public var baseURL: String
        public var timeouts: HTTPClientRequest.Timeouts
        /// How long the model and sampler lists are trusted.
        public var catalogLifetime: Duration
        /// The largest image downloaded.
        public var maximumImageBytes: Int

        public init(
            baseURL: String = Configuration.documentedBaseURL,
            timeouts: HTTPClientRequest.Timeouts = .init(),
            catalogLifetime: Duration = .seconds(3600),
            maximumImageBytes: Int = 32 << 20
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.timeouts = timeouts
            self.catalogLifetime = catalogLifetime
            self.maximumImageBytes = maximumImageBytes
        }
    }

    public let configuration: Configuration
    let httpClient: HTTPClient
    /// Reads local init images (off the task pool, bounded in time and size).
    public let initImages: InitImageReader
    /// The model and sampler lists, fetched once for every caller waiting
    /// at the time, kept for `catalogLifetime`, a failure remembered for
    /// `catalogRetryDelay` so that a down upstream is not asked on every call.
    private let catalog: CatalogCache<Catalog, UpstreamError>
    /// The keys this client has sent: an upstream may echo a key on a later
    /// request too (a list, a download).
    private let sentKeys = SentKeys()

    private struct Catalog: Sendable {
        var models: [String]
        var samplers: [String]
    }

    /// How long a failed list fetch is remembered before the next try.
    public static let catalogRetryDelay: Duration = .seconds(15)

    public init(configuration: Configuration = Configuration(), http: HTTPClient, initImages: InitImageReader = InitImageReader()) {
        self.configuration = configuration
        httpClient = http
        self.initImages = initImages
        catalog = CatalogCache(lifetime: configuration.catalogLifetime, retryDelay: Self.catalogRetryDelay)
    }

    // MARK: Lists

    /// The model names (cached for `catalogLifetime`).
    public func models() async throws(UpstreamError) -> [String] {
        try await lists().models
    }

    /// The sampler names (cached for `catalogLifetime`).
    public func samplers() async throws(UpstreamError) -> [String] {
        try await lists().samplers
    }

    /// Forgets the cached lists (after the service said it does not know a
    /// name, or to refresh them).
    public func invalidateCatalog() {
        catalog.invalidate()
    }

    /// Whether the lists (or a recent failure to get them) are at hand, so
    /// that `validate` answers without asking the upstream.
    public var catalogIsSettled: Bool { catalog.isSettled }

    private func lists() async throws(UpstreamError) -> (models: [String], samplers: [String]) {
        let catalog = try await self.catalog.value(
            fetch: { [self] () throws(UpstreamError) in Catalog(models: try await stringList("/models"), samplers: try await stringList("/samplers")) },
            unexpected: { .transient("\($0)", retryAfter: nil) }
        )
        return (catalog.models, catalog.samplers)
    }

    private func stringList(_ path: String) async throws(UpstreamError) -> [String] {
        let response = try await send(HTTPClientRequest(url: configuration.baseURL + path, timeouts: configuration.timeouts), key: nil)
        guard let array = (try? JSONParser.parse(response.body))?.arrayValue, !array.isEmpty else {
            throw .protocolViolation("GET \(path) did not answer a JSON list")
        }
        let keys = keysToScrub(nil)
        let names = array.compactMap(\.stringValue).map { UpstreamText.scrubbed($0, keys: keys) }
        guard names.count == array.count else { throw .protocolViolation("GET \(path) listed something that is not a name") }
        if let long = names.first(where: { $0.utf8.count > UpstreamText.maximumNameBytes }) {
            throw .protocolViolation(
                "GET \(path) listed a name of \(long.utf8.count) bytes, over the \(UpstreamText.maximumNameBytes) taken: "
                    + UpstreamClassifier.excerpt(long, keys: [])
            )
        }
        return names
    }

    // MARK: Names

    /// The request with the model and the sampler as the lists spell them
    /// (`Suggestions.match`: any case is taken), the lists fetched if needed
    /// and refreshed once when a name is unknown, in case the service added
    /// it. The request's ranges are the job's rules (`BackendRules.visionCraft`),
    /// checked before it gets here.
    ///
    /// - Throws: `ParameterProblem` naming `model` or `sampler` for a name
    ///   the lists lack ("did you mean"); `UpstreamError` when the lists
    ///   cannot be had.
    public func validated(_ parameters: GenerationParameters) async throws -> GenerationParameters {
        var lists = try await self.lists()
        func matches() -> (model: Suggestions.Match, sampler: Suggestions.Match) {
            (Suggestions.match(parameters.model, in: lists.models), Suggestions.match(parameters.sampler, in: lists.samplers))
        }
        var found = matches()
        if case .found = found.model, case .found = found.sampler {
        } else {
            invalidateCatalog()
            lists = try await self.lists()
            found = matches()
        }
        var resolved = parameters
        switch (found.model, found.sampler) {
        case (.found(let model), .found(let sampler)):
            resolved.model = model
            resolved.sampler = sampler
        case (.found, let sampler):
            throw ParameterProblem(field: "sampler", message: sampler.refusal(of: parameters.sampler, kind: "sampler", listedBy: "vcctl samplers") ?? "")
        case (let model, _):
            throw ParameterProblem(field: "model", message: model.refusal(of: parameters.model, kind: "model", listedBy: "vcctl models") ?? "")
        }
        return resolved
    }

    // MARK: Generation

    /// `POST /generate`: the image URLs.
    public func generate(_ parameters: GenerationParameters, key: String) async throws(UpstreamError) -> [String] {
        let body: JSON = [
            "model": .string(parameters.model), "sampler": .string(parameters.sampler), "prompt": .string(parameters.prompt),
            "negative_prompt": .string(parameters.negativePrompt), "image_count": .number(JSONNumber(parameters.imageCount)),
            "token": .string(key), "cfg_scale": .number(JSONNumber(parameters.cfgScale)), "steps": .number(JSONNumber(parameters.steps)),
        ]
        return try await postForImages("/generate", body: body, key: key)
    }

    /// `POST /img2img`: the image URLs. A local init image is sent inline
    /// (read now unless it comes read, as `.dataURL`).
    public func imageToImage(_ parameters: ImageToImageParameters, key: String) async throws -> [String] {
        let initImage: String
        switch parameters.initImage {
        case .url(let url), .dataURL(let url): initImage = url
        case .file(let path): initImage = try await initImages.read(path).dataURL
        }
        let body: JSON = [
            "prompt": .string(parameters.prompt), "token": .string(key), "init_images": [.string(initImage)],
            "negative_prompt": .string(parameters.negativePrompt), "steps": .number(JSONNumber(parameters.steps)),
            "cfg_scale": .number(JSONNumber(parameters.cfgScale) ?? JSONNumber(7)), "width": .number(JSONNumber(parameters.width)),
            "height": .number(JSONNumber(parameters.height)),
        ]
        return try await postForImages("/img2img", body: body, key: key)
    }

    private func postForImages(_ path: String, body: JSON, key: String) async throws(UpstreamError) -> [String] {
        let request = HTTPClientRequest(
            method: "POST", url: configuration.baseURL + path, headers: [("Content-Type", "application/json")],
            body: JSONSerializer.serialize(body), timeouts: configuration.timeouts
        )
        let response = try await send(request, key: key)
        switch UpstreamClassifier.readImages(response.body, keys: keysToScrub(key)) {
        case .success(let urls): return urls
        case .failure(let error): throw error
        }
    }

    /// Every key to scrub from an answer: `key` (about to be sent, or just
    /// sent) and the ones sent before, which `key` joins.
    func keysToScrub(_ key: String?) -> [String] {
        sentKeys.including(key)
    }

    /// Sends a request; a non-2xx answer or a failed transfer is thrown, classified.
    private func send(_ request: HTTPClientRequest, key: String?) async throws(UpstreamError) -> HTTPClientResponse {
        let keys = keysToScrub(key)
        let response: HTTPClientResponse
        do {
            response = try await httpClient.perform(request)
        } catch {
            throw Self.transportFailure(error, keys: keys)
        }
        guard (200..<300).contains(response.status) else {
            let error = UpstreamClassifier.classify(
                status: response.status, retryAfterHeader: response.header("retry-after"), body: response.body,
                keys: keys, now: Double(WallClock.now().milliseconds) / 1000
            )
            if case .invalid(let message, _) = error, message.contains("doesn't have") { invalidateCatalog() }
            throw error
        }
        return response
    }

    static func transportFailure(_ error: HTTPClientError, keys: [String]) -> UpstreamError {
        let message = UpstreamText.message(error.message, keys: keys)
        switch error.kind {
        case .invalidURL: return .invalid("the upstream URL is wrong: \(message) (set it with --upstream)", field: nil)
        case .tls: return .transient("TLS: \(message) (see tls_verify / --insecure if the service's certificate is known to be bad)", retryAfter: nil)
        case .responseTooLarge: return .protocolViolation(message)
        default: return .transient(message, retryAfter: nil)
        }
    }
}
