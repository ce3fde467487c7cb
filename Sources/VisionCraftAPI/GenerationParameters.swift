import Jobs

/// What one `/generate` request asks for (at most 5 images: larger jobs are
/// split by the caller).
public struct GenerationParameters: Sendable, Equatable {
    public var prompt: String
    public var negativePrompt: String
    public var model: String
    public var sampler: String
    public var imageCount: Int
    public var cfgScale: Int
    public var steps: Int

    public init(
        prompt: String, negativePrompt: String = "", model: String, sampler: String, imageCount: Int = 1,
        cfgScale: Int = Int(BackendRules.visionCraft.textToImageDefaultGuidance), steps: Int = BackendRules.visionCraft.textToImageDefaultSteps
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.model = model
        self.sampler = sampler
        self.imageCount = imageCount
        self.cfgScale = cfgScale
        self.steps = steps
    }
}

/// What one `/img2img` request asks for.
public struct ImageToImageParameters: Sendable, Equatable {
    /// The image to start from.
    public enum InitImage: Sendable, Equatable {
        /// An http(s) URL the service fetches.
        case url(String)
        /// A local PNG, JPEG or WebP file, sent inline as a data URL
        /// (`data:image/png;base64,...`).
        case file(String)
        /// A local file already read (`InitImageReader`): the data URL
        /// that is sent (`FetchedImage.dataURL`).
        case dataURL(String)
    }

    public var prompt: String
    public var negativePrompt: String
    public var initImage: InitImage
    public var steps: Int
    public var cfgScale: Double
    public var width: Int
    public var height: Int

    public init(
        prompt: String, negativePrompt: String = "", initImage: InitImage, steps: Int = BackendRules.visionCraft.imageToImageDefaultSteps,
        cfgScale: Double = BackendRules.visionCraft.imageToImageDefaultGuidance, width: Int = BackendRules.visionCraft.defaultSide,
        height: Int = BackendRules.visionCraft.defaultSide
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.initImage = initImage
        self.steps = steps
        self.cfgScale = cfgScale
        self.width = width
        self.height = height
    }
}
