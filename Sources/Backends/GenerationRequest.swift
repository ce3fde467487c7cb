/// One generation call, in no service's terms: the slice of a job a backend
/// needs. Nil means "the backend's default" (or, for the init image, text-to-image).
public struct GenerationRequest: Sendable, Equatable {
    /// Where an image-to-image request's init image is.
    public enum InitImage: Sendable, Equatable {
        /// An http(s) URL the service fetches itself.
        case url(String)
        /// A file on this machine, named (`ImageBackend.resolved`).
        case file(String)
        /// A file on this machine, read (`InitImageReader`): what
        /// `ImageBackend.generate` sends inline.
        case inline(FetchedImage)
    }

    public var prompt: String
    public var negativePrompt: String
    public var model: String?
    public var sampler: String?
    public var scheduler: String?
    public var seed: Int?
    /// Images asked of this one call (at most the rules' per-request count).
    public var count: Int
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    public var guidance: Double?
    public var initImage: InitImage?
    /// A workflow file (an absolute path) to run instead of the backend's,
    /// for a backend that runs workflows.
    public var workflow: String?

    public init(
        prompt: String, negativePrompt: String = "", model: String? = nil, sampler: String? = nil, scheduler: String? = nil, seed: Int? = nil,
        count: Int = 1, width: Int? = nil, height: Int? = nil, steps: Int? = nil, guidance: Double? = nil, initImage: InitImage? = nil,
        workflow: String? = nil
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.model = model
        self.sampler = sampler
        self.scheduler = scheduler
        self.seed = seed
        self.count = count
        self.width = width
        self.height = height
        self.steps = steps
        self.guidance = guidance
        self.initImage = initImage
        self.workflow = workflow
    }
}
