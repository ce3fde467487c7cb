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

    public init(prompt: String, negativePrompt: String = "", model: String, sampler: String, imageCount: Int = 1, cfgScale: Int = 10, steps: Int = 30) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.model = model
        self.sampler = sampler
        self.imageCount = imageCount
        self.cfgScale = cfgScale
        self.steps = steps
    }

    /// The documented limits.
    public static let imageCountRange = 1...5
    public static let cfgScaleRange = 0...20
    public static let stepsRange = 1...30

    /// Our limit on `prompt` and `negative_prompt`, in bytes of UTF-8 (the
    /// API documents none): far beyond what a model reads (CLIP takes 75
    /// tokens a chunk), and small enough that a runaway client cannot fill
    /// the job database (every prompt is stored, with its full-text index).
    public static let maximumPromptBytes = 16 << 10
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
        /// A local file already read (`VisionCraftClient.readingInitImage`):
        /// the data URL that is sent.
        case dataURL(String)
    }

    public var prompt: String
    public var negativePrompt: String
    public var initImage: InitImage
    public var steps: Int
    public var cfgScale: Double
    public var width: Int
    public var height: Int

    public init(prompt: String, negativePrompt: String = "", initImage: InitImage, steps: Int = 50, cfgScale: Double = 7, width: Int = 512, height: Int = 512) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.initImage = initImage
        self.steps = steps
        self.cfgScale = cfgScale
        self.width = width
        self.height = height
    }

    /// The docs' defaults and our documented caps (the docs give none).
    public static let stepsRange = 1...50
    public static let cfgScaleRange = 0.0...20.0
    public static let maximumSide = 1024
    /// The largest local init image sent inline.
    public static let maximumInitImageBytes = 8 << 20
}
