import Backends
import Jobs

/// The VisionCraft API (or the embedded emulator, at its local URL) as an
/// `ImageBackend`: the client's calls, with every `UpstreamError` and
/// `ParameterProblem` mapped to a `BackendFailure` here, so that no
/// scheduler reads them.
public struct VisionCraftBackend: ImageBackend {
    public let client: VisionCraftClient

    public init(client: VisionCraftClient) {
        self.client = client
    }

    public var description: BackendDescription {
        BackendDescription(kind: "visioncraft", rules: .visionCraft, imageToImage: true, reportsSeeds: false, delivery: .urls, defaultConcurrency: 1)
    }

    public func catalog() async throws(BackendFailure) -> BackendCatalog {
        do {
            return BackendCatalog(models: try await client.models(), samplers: try await client.samplers())
        } catch {
            throw Self.failure(error)
        }
    }

    public var catalogIsSettled: Bool { client.catalogIsSettled }

    public func invalidateCatalog() {
        client.invalidateCatalog()
    }

    public func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest {
        do {
            // Image-to-image names no model or sampler (the service picks
            // them): nothing to look up.
            if request.initImage != nil { return request }
            let resolved = try await client.validated(Self.generation(request))
            var answer = request
            answer.model = resolved.model
            answer.sampler = resolved.sampler
            return answer
        } catch {
            throw Self.failure(error)
        }
    }

    public func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        guard let key else { throw .keyRefused("no API key is set (vcctl key set)") }
        do {
            if request.initImage != nil {
                return .urls(try await client.imageToImage(Self.imageToImage(request), key: key))
            }
            return .urls(try await client.generate(Self.generation(request), key: key))
        } catch {
            throw Self.failure(error)
        }
    }

    public func fetch(_ url: String) async throws(DownloadError) -> FetchedImage {
        try await client.fetchImage(url)
    }

    // MARK: Mapping

    /// The VisionCraft `/generate` parameters of `request` (the API's
    /// defaults where it gives none).
    static func generation(_ request: GenerationRequest) -> GenerationParameters {
        let rules = BackendRules.visionCraft
        return GenerationParameters(
            prompt: request.prompt, negativePrompt: request.negativePrompt, model: request.model ?? "", sampler: request.sampler ?? "",
            imageCount: request.count, cfgScale: Int(request.guidance ?? rules.textToImageDefaultGuidance),
            steps: request.steps ?? rules.textToImageDefaultSteps
        )
    }

    /// The VisionCraft `/img2img` parameters of `request`.
    static func imageToImage(_ request: GenerationRequest) -> ImageToImageParameters {
        let rules = BackendRules.visionCraft
        let initImage: ImageToImageParameters.InitImage =
            switch request.initImage {
            case .file(let path): .file(path)
            case .inline(let image): .dataURL(image.dataURL)
            case .url(let url): .url(url)
            case nil: .url("")
            }
        return ImageToImageParameters(
            prompt: request.prompt, negativePrompt: request.negativePrompt, initImage: initImage,
            steps: request.steps ?? rules.imageToImageDefaultSteps, cfgScale: request.guidance ?? rules.imageToImageDefaultGuidance,
            width: request.width ?? rules.defaultSide, height: request.height ?? rules.defaultSide
        )
    }

    /// The class of a failure the client threw; messages kept as the
    /// scheduler showed them before the seam, a refused field's message
    /// without its name (the failure names the field).
    public static func failure(_ error: any Error) -> BackendFailure {
        switch error {
        case let error as BackendFailure: return error
        case let error as UpstreamError:
            switch error {
            case .transient(let message, let retryAfter): return .transient(message, retryAfter: retryAfter)
            case .rateLimited(let message, let retryAfter): return .rateLimited(message, retryAfter: retryAfter)
            case .auth(let message): return .keyRefused(message)
            case .invalid(let message, let field): return .invalid(message, field: field)
            case .protocolViolation(let message): return .protocolViolation(message)
            }
        case let problem as ParameterProblem:
            return .invalid(problem.message, field: problem.field)
        case let unavailable as InitImageUnavailable:
            return .transient(unavailable.description, retryAfter: nil)
        default:
            return .transient("\(error)", retryAfter: nil)
        }
    }
}
