/// One field of a job, as every entry point names and checks it: its name
/// on the wire (`job.submit`'s params, the stored job), the vcctl flag that
/// sets it, what it takes, and its default. The job model's own limits are
/// here; the rules of the backend that runs a job (its steps, sizes and
/// images per request) are in `BackendRules`.
///
/// A field added here is read from the wire, stored, shown and given a
/// vcctl flag by the code that walks `allCases`; the help line and the
/// value's range are written once, here.
public enum JobField: String, CaseIterable, Sendable {
    // In the order vcctl's help lists the flags.
    case prompt = "prompt"
    case imageCount = "image_count"
    case negativePrompt = "negative_prompt"
    case backend = "backend"
    case model = "model"
    case sampler = "sampler"
    case scheduler = "scheduler"
    case cfgScale = "cfg_scale"
    case steps = "steps"
    case seed = "seed"
    case initImage = "init_images"
    case workflow = "workflow"
    case width = "width"
    case height = "height"
    case priority = "priority"
    case labels = "labels"
    case plugins = "plugins"
    case outputDirectory = "output_dir"
    case idempotencyKey = "idempotency_key"

    /// What a field takes.
    public enum Values: Sendable, Equatable {
        /// A string of at most `maximumBytes` bytes of UTF-8.
        case text(nonEmpty: Bool, maximumBytes: Int)
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        /// A list of at most `maximumCount` strings, each 1 to
        /// `maximumBytes` bytes.
        case texts(maximumCount: Int, maximumBytes: Int)
        /// An absolute path (or, with `urls`, an http(s) URL) of at most
        /// `maximumPathBytes`.
        case location(urls: Bool)
    }

    /// The name in `job.submit`'s params and in the stored job.
    public var wireName: String { rawValue }

    /// The longest path or URL (`output_dir`, `init_images`, `workflow`), in bytes.
    public static let maximumPathBytes = 4096
    /// The longest prompt or negative prompt, in bytes of UTF-8: far beyond
    /// what a model reads (CLIP takes 75 tokens a chunk), and small enough
    /// that a runaway client cannot fill the job database (every prompt is
    /// stored, with its full-text index).
    public static let maximumPromptBytes = 16 << 10
    /// How closely to follow the prompt (cfg), for every kind of job.
    public static let guidanceRange = 0.0...20.0
    /// The images one job asks for (split into the backend's requests).
    public static let imageCountRange = 1...100
    /// The backend of a daemon whose configuration names none, and of jobs
    /// stored before jobs named their backend.
    public static let implicitBackend = "visioncraft"
    /// A seed: 32 bits, as AUTOMATIC1111 and stable-diffusion.cpp take it.
    public static let seedRange = 0...4_294_967_295

    /// What the field takes.
    public var values: Values {
        switch self {
        case .prompt: .text(nonEmpty: true, maximumBytes: Self.maximumPromptBytes)
        case .negativePrompt: .text(nonEmpty: false, maximumBytes: Self.maximumPromptBytes)
        case .model, .sampler, .scheduler: .text(nonEmpty: true, maximumBytes: 256)
        case .backend: .text(nonEmpty: true, maximumBytes: 64)
        case .seed: .integer(Self.seedRange)
        case .imageCount: .integer(Self.imageCountRange)
        case .cfgScale: .number(Self.guidanceRange)
        // The widest any backend takes; the backend's own rules narrow it.
        case .steps: .integer(1...150)
        case .width, .height: .integer(8...2048)
        case .initImage: .location(urls: true)
        case .workflow: .location(urls: false)
        case .priority: .integer(-100...100)
        case .labels: .texts(maximumCount: 32, maximumBytes: 64)
        case .plugins: .texts(maximumCount: 16, maximumBytes: 4096)
        case .outputDirectory: .location(urls: false)
        case .idempotencyKey: .text(nonEmpty: true, maximumBytes: 256)
        }
    }

    /// The range of an integer field.
    public var integerRange: ClosedRange<Int>? {
        if case .integer(let range) = values { return range }
        return nil
    }

    /// The range of a number field.
    public var numberRange: ClosedRange<Double>? {
        if case .number(let range) = values { return range }
        return nil
    }

    /// The vcctl flag that sets the field (`--count`); nil for the prompt,
    /// which is vcctl's argument.
    public var flag: String? {
        switch self {
        case .prompt: nil
        case .negativePrompt: "--negative"
        case .imageCount: "--count"
        case .cfgScale: "--cfg"
        case .initImage: "--init-image"
        case .labels: "--label"
        case .plugins: "--plugin"
        case .outputDirectory: "--out"
        case .workflow: "--workflow"
        case .idempotencyKey: "--idempotency-key"
        case .backend, .model, .sampler, .scheduler, .steps, .seed, .width, .height, .priority: "--" + rawValue
        }
    }

    /// The placeholder of the flag's value in help and the manual.
    public var valueName: String {
        switch self {
        case .prompt, .negativePrompt: "TEXT"
        case .backend, .model, .sampler, .scheduler: "NAME"
        case .imageCount, .steps, .seed, .width, .height, .priority: "N"
        case .cfgScale: "SCALE"
        case .initImage: "PATH|URL"
        case .workflow: "FILE"
        case .labels: "LABEL"
        case .plugins: "NAME[:OPTIONS]"
        case .outputDirectory: "DIR"
        case .idempotencyKey: "KEY"
        }
    }

    /// Whether the flag may be given more than once (each adds an entry).
    public var isList: Bool {
        if case .texts = values { return true }
        return false
    }

    /// One line of help: what the field does, its range and its default
    /// (the VisionCraft API's where the backend decides).
    public var help: String {
        let rules = BackendRules.visionCraft
        switch self {
        case .prompt: return "What the image should show."
        case .negativePrompt: return "What the image should not show."
        case .backend: return "The backend to run the job on (default: the daemon's; 'visioncraft' when it runs one)."
        case .model: return "A model from 'vcctl models' (default: jobs.model, else the backend's: \(rules.defaultModel ?? "") for VisionCraft)."
        case .sampler: return "A sampler from 'vcctl samplers' (default: jobs.sampler, else the backend's: \(rules.defaultSampler ?? "") for VisionCraft)."
        case .scheduler: return "A noise schedule (Karras, Exponential, ...), for a backend that takes one."
        case .seed: return "The seed, \(Self.rangeText(.seed)), for a backend that takes one (default: the backend picks)."
        case .imageCount:
            return "Images, \(Self.rangeText(.imageCount)) (default: jobs.image_count in the config file, else 1); split into requests of \(rules.imagesPerRequest)."
        case .cfgScale:
            return "How closely to follow the prompt, \(Self.rangeText(.cfgScale)) (default \(Self.number(rules.textToImageDefaultGuidance)); \(Self.number(rules.imageToImageDefaultGuidance)) for --init-image)."
        case .steps:
            return "Refinement steps, \(Self.text(rules.textToImageSteps)) (default \(rules.textToImageDefaultSteps); up to \(rules.imageToImageSteps.upperBound), default \(rules.imageToImageDefaultSteps), for --init-image)."
        case .initImage: return "Start from this image (image-to-image): a local PNG, JPEG or WebP, or an http(s) URL."
        case .workflow:
            return "A ComfyUI workflow in API format (JSON) to run instead of the backend's; the job's fields are written into its nodes."
        case .width, .height:
            return "Image-to-image \(rawValue), a multiple of \(rules.sideMultiple) up to \(rules.maximumSide) (default \(rules.defaultSide))."
        case .priority: return "\(Self.rangeText(.priority)); higher runs first (default 0)."
        case .labels: return "Tag the job (repeatable); 'vcctl list --label' finds it."
        case .plugins: return "Run a plugin on the job (repeatable, in order): NAME, NAME:key=value,... or NAME:{json}."
        case .outputDirectory: return "Save the images under DIR/YYYY-MM-DD/ instead of the daemon's folder."
        case .idempotencyKey: return "Submitting again with the same KEY returns the first job instead of a new one."
        }
    }

    private static func rangeText(_ field: JobField) -> String {
        if let range = field.integerRange { return text(range) }
        if let range = field.numberRange { return "\(number(range.lowerBound)) to \(number(range.upperBound))" }
        return ""
    }

    private static func text(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound) to \(range.upperBound)" }

    /// 10 for 10.0: the ranges and defaults are whole numbers.
    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
