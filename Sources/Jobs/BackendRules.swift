/// The rules of a job that belong to the backend that runs it, not to the
/// job model: how many images one request makes, the steps and guidance it
/// takes in each mode, which fields apply to which mode. A backend states
/// them in its description; the job validator checks a request against the
/// rules of the backend it names, before the job is committed.
public struct BackendRules: Sendable, Equatable {
    /// The most images one text-to-image request makes (a job asks for more
    /// in several requests).
    public var imagesPerRequest: Int
    /// The same for image-to-image.
    public var imagesPerImageToImageRequest: Int
    /// Steps a text-to-image request takes, and its default.
    public var textToImageSteps: ClosedRange<Int>
    public var textToImageDefaultSteps: Int
    /// Steps an image-to-image request takes, and its default.
    public var imageToImageSteps: ClosedRange<Int>
    public var imageToImageDefaultSteps: Int
    /// The guidance (cfg) default in each mode.
    public var textToImageDefaultGuidance: Double
    public var imageToImageDefaultGuidance: Double
    /// Whether text-to-image takes whole-number guidance only.
    public var textToImageGuidanceIsWhole: Bool
    /// Whether a model and a sampler may be named for image-to-image (the
    /// VisionCraft API picks them itself).
    public var imageToImageTakesModelAndSampler: Bool
    /// Whether width and height may be given for text-to-image.
    public var textToImageTakesSize: Bool
    /// Whether a job may name the seed, and a noise schedule (`scheduler`).
    public var takesSeed: Bool
    public var takesScheduler: Bool
    /// Whether it takes steps, guidance (cfg) and a sampler at all (the
    /// OpenAI images API takes none: a job naming one is refused, and
    /// none is filled in from the configuration).
    public var takesSteps: Bool
    public var takesGuidance: Bool
    public var takesSampler: Bool
    /// Whether a job may name a workflow file (ComfyUI's API format).
    public var takesWorkflow: Bool
    /// Whether the backend runs a workflow of its own configuration: the
    /// fields a job leaves out keep the workflow's values (no defaults of
    /// the rules or the configuration are filled in).
    public var runsWorkflow: Bool
    /// A side must be a positive multiple of this, up to `maximumSide`.
    public var sideMultiple: Int
    public var maximumSide: Int
    /// The size a request gets when none is given.
    public var defaultSide: Int
    /// The model and sampler a job that names none (and whose configuration
    /// names none) gets; nil: the service's own (what it has loaded).
    public var defaultModel: String?
    public var defaultSampler: String?

    public init(
        imagesPerRequest: Int, imagesPerImageToImageRequest: Int, textToImageSteps: ClosedRange<Int>, textToImageDefaultSteps: Int,
        imageToImageSteps: ClosedRange<Int>, imageToImageDefaultSteps: Int, textToImageDefaultGuidance: Double, imageToImageDefaultGuidance: Double,
        textToImageGuidanceIsWhole: Bool, imageToImageTakesModelAndSampler: Bool, textToImageTakesSize: Bool, takesSeed: Bool,
        takesScheduler: Bool, takesSteps: Bool = true, takesGuidance: Bool = true, takesSampler: Bool = true, takesWorkflow: Bool = false,
        runsWorkflow: Bool = false, sideMultiple: Int, maximumSide: Int, defaultSide: Int, defaultModel: String? = nil, defaultSampler: String? = nil
    ) {
        self.imagesPerRequest = imagesPerRequest
        self.imagesPerImageToImageRequest = imagesPerImageToImageRequest
        self.textToImageSteps = textToImageSteps
        self.textToImageDefaultSteps = textToImageDefaultSteps
        self.imageToImageSteps = imageToImageSteps
        self.imageToImageDefaultSteps = imageToImageDefaultSteps
        self.textToImageDefaultGuidance = textToImageDefaultGuidance
        self.imageToImageDefaultGuidance = imageToImageDefaultGuidance
        self.textToImageGuidanceIsWhole = textToImageGuidanceIsWhole
        self.imageToImageTakesModelAndSampler = imageToImageTakesModelAndSampler
        self.textToImageTakesSize = textToImageTakesSize
        self.takesSeed = takesSeed
        self.takesScheduler = takesScheduler
        self.takesSteps = takesSteps
        self.takesGuidance = takesGuidance
        self.takesSampler = takesSampler
        self.takesWorkflow = takesWorkflow
        self.runsWorkflow = runsWorkflow
        self.sideMultiple = sideMultiple
        self.maximumSide = maximumSide
        self.defaultSide = defaultSide
        self.defaultModel = defaultModel
        self.defaultSampler = defaultSampler
    }

    /// The VisionCraft API's rules (`../shared/visioncraft-api.md`):
    /// `/generate` makes up to 5 images, 1 to 30 steps (default 30),
    /// whole-number cfg (default 10), the model and sampler named; `/img2img`
    /// makes one, 1 to 50 steps (default 50), cfg 7, its own model, sides
    /// multiples of 8 up to 1024 (default 512); neither takes a seed or a
    /// noise schedule; a model and a sampler are always named (the docs'
    /// examples: anything_V5 with Euler).
    public static let visionCraft = BackendRules(
        imagesPerRequest: 5, imagesPerImageToImageRequest: 1, textToImageSteps: 1...30, textToImageDefaultSteps: 30,
        imageToImageSteps: 1...50, imageToImageDefaultSteps: 50, textToImageDefaultGuidance: 10, imageToImageDefaultGuidance: 7,
        textToImageGuidanceIsWhole: true, imageToImageTakesModelAndSampler: false, textToImageTakesSize: false, takesSeed: false,
        takesScheduler: false, sideMultiple: 8, maximumSide: 1024, defaultSide: 512, defaultModel: "anything_V5", defaultSampler: "Euler"
    )
}
