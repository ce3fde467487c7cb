import JSON
import JSONRPC

/// What a job asks for: the `params` of `job.submit`, and of every job the
/// daemon returns. Names follow the upstream's where it has them.
///
/// A job with `init_images` is image-to-image (`/img2img`, one image per
/// request); otherwise it is text-to-image (`/generate`, up to five images per
/// request). Absent fields take the daemon's defaults when the job is
/// submitted, and the stored job shows the values used.
public struct JobParameters: RPCParameters, Equatable {
    public var prompt: String
    public var negativePrompt: String
    /// A model name from `models.list` (text-to-image only).
    public var model: String?
    /// A sampler name from `samplers.list` (text-to-image only).
    public var sampler: String?
    /// 1 to 100; split into requests of at most 5 (1 for image-to-image).
    public var imageCount: Int
    /// 0 to 20 (whole numbers for text-to-image).
    public var cfgScale: Double?
    /// 1 to 30 (text-to-image) or 1 to 50 (image-to-image).
    public var steps: Int?
    /// One http(s) URL or an absolute local path (sent inline).
    public var initImage: String?
    /// Image-to-image: positive multiples of 8 up to 1024.
    public var width: Int?
    public var height: Int?
    /// Higher runs first; -100 to 100, default 0.
    public var priority: Int
    public var labels: [String]
    /// Where the images go (absolute); default: the daemon's output folder.
    public var outputDirectory: String?
    /// The plugin chain, in order: `name`, `name:key=value,...` or
    /// `name:{json}` (options for that step).
    public var plugins: [String]
    /// A client's key for this submission: submitting again with the same key
    /// returns the first job instead of making a second.
    public var idempotencyKey: String?

    public static let imageCountRange = 1...100
    public static let priorityRange = -100...100
    /// The longest `idempotency_key`, in bytes.
    public static let maximumIdempotencyKeyBytes = 256
    /// The most labels a job has.
    public static let maximumLabels = 32
    /// The most plugin steps in a job's chain, and the longest step.
    public static let maximumPluginSteps = 16
    public static let maximumPluginStepBytes = 4096
    /// The longest path or URL (`output_dir`, `init_images`), in bytes.
    public static let maximumPathBytes = 4096

    public init(
        prompt: String, negativePrompt: String = "", model: String? = nil, sampler: String? = nil, imageCount: Int = 1,
        cfgScale: Double? = nil, steps: Int? = nil, initImage: String? = nil, width: Int? = nil, height: Int? = nil,
        priority: Int = 0, labels: [String] = [], outputDirectory: String? = nil, plugins: [String] = [], idempotencyKey: String? = nil
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.model = model
        self.sampler = sampler
        self.imageCount = imageCount
        self.cfgScale = cfgScale
        self.steps = steps
        self.initImage = initImage
        self.width = width
        self.height = height
        self.priority = priority
        self.labels = labels
        self.outputDirectory = outputDirectory
        self.plugins = plugins
        self.idempotencyKey = idempotencyKey
    }

    /// Whether this is an image-to-image job.
    public var isImageToImage: Bool { initImage != nil }

    public init(params: JSON?) throws(RPCError) {
        do {
            try self.init(json: params, path: "params")
        } catch {
            throw error.rpcError
        }
    }

    /// Reads the object at `path` (also how a stored job's `params` is read back).
    public init(json: JSON?, path: String) throws(FieldError) {
        var reader = try FieldReader(json, path: path)
        prompt = try reader.required("prompt", try reader.string("prompt", nonEmpty: true))
        negativePrompt = try reader.string("negative_prompt") ?? ""
        model = try reader.string("model", nonEmpty: true)
        sampler = try reader.string("sampler", nonEmpty: true)
        imageCount = try reader.integer("image_count", in: Self.imageCountRange) ?? 1
        cfgScale = try reader.number("cfg_scale", in: 0...20)
        steps = try reader.integer("steps", in: 1...50)
        if let images = try reader.strings("init_images") {
            guard images.count == 1, !images[0].isEmpty else {
                throw FieldError(field: "\(path).init_images", detail: "expected exactly one URL or absolute path, got \(images.count)")
            }
            initImage = images[0]
        }
        width = try reader.integer("width", in: 8...1024)
        height = try reader.integer("height", in: 8...1024)
        priority = try reader.integer("priority", in: Self.priorityRange) ?? 0
        labels = try reader.strings("labels") ?? []
        outputDirectory = try reader.string("output_dir", nonEmpty: true)
        plugins = try reader.strings("plugins") ?? []
        idempotencyKey = try reader.string("idempotency_key", nonEmpty: true)
        try reader.finish()
        try check(path: path)
    }

    /// Rules that span fields.
    private func check(path: String) throws(FieldError) {
        if initImage == nil {
            for (name, value) in [("width", width), ("height", height)] where value != nil {
                throw FieldError(field: "\(path).\(name)", detail: "applies to image-to-image jobs only (give init_images)")
            }
            if let steps, steps > 30 {
                throw FieldError(field: "\(path).steps", detail: "expected an integer from 1 to 30 for text-to-image, got \(steps)")
            }
            if let cfgScale, cfgScale.rounded() != cfgScale {
                throw FieldError(field: "\(path).cfg_scale", detail: "expected a whole number for text-to-image, got \(cfgScale)")
            }
        } else {
            for (name, value) in [("model", model), ("sampler", sampler)] where value != nil {
                throw FieldError(field: "\(path).\(name)", detail: "applies to text-to-image jobs only (the service picks them for image-to-image)")
            }
            for (name, value) in [("width", width), ("height", height)] {
                if let value, value % 8 != 0 {
                    throw FieldError(field: "\(path).\(name)", detail: "expected a multiple of 8 up to 1024, got \(value)")
                }
            }
        }
        if labels.count > Self.maximumLabels {
            throw FieldError(field: "\(path).labels", detail: "at most \(Self.maximumLabels) labels, got \(labels.count)")
        }
        for label in labels where label.isEmpty || label.count > 64 {
            throw FieldError(field: "\(path).labels", detail: "labels are 1 to 64 characters, got '\(label.prefix(80))'")
        }
        if plugins.count > Self.maximumPluginSteps {
            throw FieldError(field: "\(path).plugins", detail: "at most \(Self.maximumPluginSteps) steps, got \(plugins.count)")
        }
        for plugin in plugins where plugin.isEmpty || plugin.utf8.count > Self.maximumPluginStepBytes {
            throw FieldError(
                field: "\(path).plugins",
                detail: plugin.isEmpty ? "a plugin step is empty" : "a plugin step is at most \(Self.maximumPluginStepBytes) bytes, got \(plugin.utf8.count)"
            )
        }
        if let idempotencyKey, idempotencyKey.utf8.count > Self.maximumIdempotencyKeyBytes {
            throw FieldError(
                field: "\(path).idempotency_key", detail: "at most \(Self.maximumIdempotencyKeyBytes) bytes, got \(idempotencyKey.utf8.count)"
            )
        }
        for (name, value) in [("output_dir", outputDirectory), ("init_images", initImage)] {
            if let value, value.utf8.count > Self.maximumPathBytes {
                throw FieldError(field: "\(path).\(name)", detail: "at most \(Self.maximumPathBytes) bytes, got \(value.utf8.count)")
            }
        }
        if let outputDirectory, !outputDirectory.hasPrefix("/") {
            throw FieldError(field: "\(path).output_dir", detail: "expected an absolute path, got '\(outputDirectory)'")
        }
        if let initImage, !(initImage.hasPrefix("http://") || initImage.hasPrefix("https://") || initImage.hasPrefix("/")) {
            throw FieldError(field: "\(path).init_images", detail: "expected an http(s) URL or an absolute path, got '\(initImage)'")
        }
    }

    public var params: JSON? { json }

    /// The object, with absent optional fields left out.
    public var json: JSON {
        var object: JSONObject = ["prompt": .string(prompt), "negative_prompt": .string(negativePrompt)]
        if let model { object["model"] = .string(model) }
        if let sampler { object["sampler"] = .string(sampler) }
        object["image_count"] = .number(JSONNumber(imageCount))
        if let cfgScale { object["cfg_scale"] = .number(JSONNumber(cfgScale) ?? JSONNumber(0)) }
        if let steps { object["steps"] = .number(JSONNumber(steps)) }
        if let initImage { object["init_images"] = [.string(initImage)] }
        if let width { object["width"] = .number(JSONNumber(width)) }
        if let height { object["height"] = .number(JSONNumber(height)) }
        object["priority"] = .number(JSONNumber(priority))
        object["labels"] = .array(labels.map { .string($0) })
        if let outputDirectory { object["output_dir"] = .string(outputDirectory) }
        if !plugins.isEmpty { object["plugins"] = .array(plugins.map { .string($0) }) }
        if let idempotencyKey { object["idempotency_key"] = .string(idempotencyKey) }
        return .object(object)
    }
}
