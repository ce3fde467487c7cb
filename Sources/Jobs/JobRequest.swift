import JSON
import JSONRPC

/// What a job asks for: the `params` of `job.submit`, the stored job, and
/// the `params` of every job the daemon returns. Its fields, their wire
/// names, ranges and flags are `JobField`'s.
///
/// A job with `init_images` is image-to-image; otherwise it is
/// text-to-image. Absent fields take the daemon's defaults when the job is
/// submitted, and the stored job holds the values used: it is stored
/// resolved, and read back as it was stored.
public struct JobRequest: RPCParameters, Equatable {
    public var prompt: String
    public var negativePrompt: String
    /// The backend to run the job on; resolved at submit to the daemon's
    /// default when absent, so the stored job names the one it runs on.
    public var backend: String?
    /// A model name from `models.list` (text-to-image only).
    public var model: String?
    /// A sampler name from `samplers.list` (text-to-image only).
    public var sampler: String?
    /// A noise schedule (`Karras`), for a backend that takes one.
    public var scheduler: String?
    /// Split into requests of the backend's `imagesPerRequest`.
    public var imageCount: Int
    public var cfgScale: Double?
    public var steps: Int?
    /// For a backend that takes one; absent: the backend picks.
    public var seed: Int?
    /// One http(s) URL or an absolute local path (sent inline).
    public var initImage: String?
    /// A workflow file (an absolute path) for a backend that runs
    /// workflows (ComfyUI): the job's fields are written into its nodes,
    /// and the fields the job leaves out keep the workflow's values. Read
    /// when the job is checked and again when it is sent, as a local init
    /// image is.
    public var workflow: String?
    public var width: Int?
    public var height: Int?
    /// Higher runs first.
    public var priority: Int
    public var labels: [String]
    /// Where the images go (absolute); default: the daemon's output folder.
    public var outputDirectory: String?
    /// The plugin chain, in order, each step read from `name`,
    /// `name:key=value,...` or `name:{json}` (options for that step).
    public var plugins: [PluginStep]
    /// A client's key for this submission: submitting again with the same key
    /// returns the first job instead of making a second.
    public var idempotencyKey: String?

    public init(
        prompt: String, negativePrompt: String = "", backend: String? = nil, model: String? = nil, sampler: String? = nil,
        scheduler: String? = nil, imageCount: Int = 1, cfgScale: Double? = nil, steps: Int? = nil, seed: Int? = nil, initImage: String? = nil,
        workflow: String? = nil, width: Int? = nil, height: Int? = nil, priority: Int = 0, labels: [String] = [], outputDirectory: String? = nil, plugins: [PluginStep] = [],
        idempotencyKey: String? = nil
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.backend = backend
        self.model = model
        self.sampler = sampler
        self.scheduler = scheduler
        self.imageCount = imageCount
        self.cfgScale = cfgScale
        self.steps = steps
        self.seed = seed
        self.initImage = initImage
        self.workflow = workflow
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

    /// Whether the fields the job leaves out stay out, for a workflow's own
    /// values to hold: the job names a workflow, or its backend runs one.
    public func keepsWorkflowValues(on rules: BackendRules) -> Bool {
        workflow != nil || rules.runsWorkflow
    }

    public init(params: JSON?) throws(RPCError) {
        do {
            try self.init(json: params, path: "params")
        } catch {
            throw error.rpcError
        }
    }

    /// Reads the object at `path` and checks each field against `JobField`
    /// (also how a stored job's `params` is read back: what was accepted
    /// then reads back the same).
    public init(json: JSON?, path: String) throws(FieldError) {
        var reader = try FieldReader(json, path: path)
        func text(_ field: JobField) throws(FieldError) -> String? {
            guard case .text(let nonEmpty, let maximum) = field.values, let value = try reader.string(field.wireName, nonEmpty: nonEmpty) else {
                return nil
            }
            guard value.utf8.count <= maximum else {
                throw FieldError(field: "\(path).\(field.wireName)", detail: "at most \(maximum) bytes of UTF-8, got \(value.utf8.count)")
            }
            return value
        }
        func integer(_ field: JobField) throws(FieldError) -> Int? { try reader.integer(field.wireName, in: field.integerRange) }
        func texts(_ field: JobField) throws(FieldError) -> [String]? {
            guard case .texts(let maximumCount, let maximumBytes) = field.values, let values = try reader.strings(field.wireName) else {
                return nil
            }
            let noun = field == .labels ? "labels" : "steps"
            if values.count > maximumCount {
                throw FieldError(field: "\(path).\(field.wireName)", detail: "at most \(maximumCount) \(noun), got \(values.count)")
            }
            for value in values where value.isEmpty || value.utf8.count > maximumBytes {
                let detail =
                    field == .labels
                    ? "labels are 1 to \(maximumBytes) bytes, got '\(value.prefix(80))'"
                    : value.isEmpty ? "a plugin step is empty" : "a plugin step is at most \(maximumBytes) bytes, got \(value.utf8.count)"
                throw FieldError(field: "\(path).\(field.wireName)", detail: detail)
            }
            return values
        }
        func location(_ field: JobField, _ value: String?) throws(FieldError) -> String? {
            guard let value, case .location(let urls) = field.values else { return value }
            let name = "\(path).\(field.wireName)"
            if value.utf8.count > JobField.maximumPathBytes {
                throw FieldError(field: name, detail: "at most \(JobField.maximumPathBytes) bytes, got \(value.utf8.count)")
            }
            if value.hasPrefix("/") { return value }
            if urls, value.hasPrefix("http://") || value.hasPrefix("https://") { return value }
            throw FieldError(field: name, detail: urls ? "expected an http(s) URL or an absolute path, got '\(value)'" : "expected an absolute path, got '\(value)'")
        }

        prompt = try reader.required(JobField.prompt.wireName, try text(.prompt))
        negativePrompt = try text(.negativePrompt) ?? ""
        backend = try text(.backend)
        model = try text(.model)
        sampler = try text(.sampler)
        scheduler = try text(.scheduler)
        imageCount = try integer(.imageCount) ?? 1
        cfgScale = try reader.number(JobField.cfgScale.wireName, in: JobField.cfgScale.numberRange)
        steps = try integer(.steps)
        seed = try integer(.seed)
        if let images = try reader.strings(JobField.initImage.wireName) {
            guard images.count == 1, !images[0].isEmpty else {
                throw FieldError(field: "\(path).init_images", detail: "expected exactly one URL or absolute path, got \(images.count)")
            }
            initImage = try location(.initImage, images[0])
        }
        workflow = try location(.workflow, try reader.string(JobField.workflow.wireName, nonEmpty: true))
        width = try integer(.width)
        height = try integer(.height)
        priority = try integer(.priority) ?? 0
        labels = try texts(.labels) ?? []
        plugins = []
        for step in try texts(.plugins) ?? [] {
            do {
                plugins.append(try PluginStep(parsing: step))
            } catch {
                throw FieldError(field: "\(path).\(JobField.plugins.wireName)", detail: error.description)
            }
        }
        outputDirectory = try location(.outputDirectory, try reader.string(JobField.outputDirectory.wireName, nonEmpty: true))
        idempotencyKey = try text(.idempotencyKey)
        try reader.finish()
    }

    /// Checks the fields against the rules of the backend that is to run
    /// the job (which fields apply to which mode, its steps and sizes), the
    /// way `job.submit` does before the job is committed.
    public func check(against rules: BackendRules) throws(ParameterProblem) {
        func refuse(_ field: JobField, _ detail: String) -> ParameterProblem { ParameterProblem(field: field.wireName, message: detail) }
        for (field, given, taken) in [
            (JobField.steps, steps != nil, rules.takesSteps), (.cfgScale, cfgScale != nil, rules.takesGuidance), (.sampler, sampler != nil, rules.takesSampler),
            (.workflow, workflow != nil, rules.takesWorkflow),
        ] where given && !taken {
            throw refuse(field, "this backend takes none (leave it out)")
        }
        if initImage == nil {
            if !rules.textToImageTakesSize {
                for (field, value) in [(JobField.width, width), (.height, height)] where value != nil {
                    throw refuse(field, "applies to image-to-image jobs only (give init_images)")
                }
            }
            if let steps, !rules.textToImageSteps.contains(steps) {
                throw refuse(.steps, "expected an integer from \(rules.textToImageSteps.lowerBound) to \(rules.textToImageSteps.upperBound) for text-to-image, got \(steps)")
            }
            if rules.textToImageGuidanceIsWhole, let cfgScale, cfgScale.rounded() != cfgScale {
                throw refuse(.cfgScale, "expected a whole number for text-to-image, got \(cfgScale)")
            }
        } else {
            if !rules.imageToImageTakesModelAndSampler {
                for (field, value) in [(JobField.model, model), (.sampler, sampler)] where value != nil {
                    throw refuse(field, "applies to text-to-image jobs only (the service picks them for image-to-image)")
                }
            }
            if let steps, !rules.imageToImageSteps.contains(steps) {
                throw refuse(.steps, "expected an integer from \(rules.imageToImageSteps.lowerBound) to \(rules.imageToImageSteps.upperBound) for image-to-image, got \(steps)")
            }
        }
        if seed != nil, !rules.takesSeed {
            throw refuse(.seed, "this backend picks its own seed; it takes none (leave it out)")
        }
        if scheduler != nil, !rules.takesScheduler {
            throw refuse(.scheduler, "this backend picks its own noise schedule; it takes none (leave it out)")
        }
        for (field, value) in [(JobField.width, width), (.height, height)] {
            if let value, value % rules.sideMultiple != 0 || value > rules.maximumSide {
                throw refuse(field, "expected a multiple of \(rules.sideMultiple) up to \(rules.maximumSide), got \(value)")
            }
        }
    }

    /// The requests' defaults the backend's rules give, for the fields the
    /// request leaves out (the stored job holds the values used); none when
    /// a workflow's own values hold (`keepsWorkflowValues`).
    public func resolved(with rules: BackendRules) -> JobRequest {
        var filled = self
        if keepsWorkflowValues(on: rules) {
            // Nothing to fill: the workflow holds the values.
        } else if isImageToImage {
            filled.steps = steps ?? rules.imageToImageDefaultSteps
            filled.cfgScale = cfgScale ?? rules.imageToImageDefaultGuidance
            filled.width = width ?? rules.defaultSide
            filled.height = height ?? rules.defaultSide
        } else {
            filled.steps = steps ?? rules.textToImageDefaultSteps
            filled.cfgScale = cfgScale ?? rules.textToImageDefaultGuidance
            if rules.textToImageTakesSize {
                filled.width = width ?? rules.defaultSide
                filled.height = height ?? rules.defaultSide
            }
        }
        // A backend that takes none gets none.
        if !rules.takesSteps { filled.steps = nil }
        if !rules.takesGuidance { filled.cfgScale = nil }
        return filled
    }

    public var params: JSON? { json }

    /// The object, with absent optional fields left out.
    public var json: JSON {
        var object: JSONObject = [JobField.prompt.wireName: .string(prompt), JobField.negativePrompt.wireName: .string(negativePrompt)]
        func set(_ field: JobField, _ value: JSON?) {
            if let value { object[field.wireName] = value }
        }
        set(.backend, backend.map { .string($0) })
        set(.model, model.map { .string($0) })
        set(.sampler, sampler.map { .string($0) })
        set(.scheduler, scheduler.map { .string($0) })
        set(.imageCount, .number(JSONNumber(imageCount)))
        set(.cfgScale, cfgScale.map { .number(JSONNumber($0) ?? JSONNumber(0)) })
        set(.steps, steps.map { .number(JSONNumber($0)) })
        set(.seed, seed.map { .number(JSONNumber($0)) })
        set(.initImage, initImage.map { [.string($0)] })
        set(.workflow, workflow.map { .string($0) })
        set(.width, width.map { .number(JSONNumber($0)) })
        set(.height, height.map { .number(JSONNumber($0)) })
        set(.priority, .number(JSONNumber(priority)))
        set(.labels, .array(labels.map { .string($0) }))
        set(.outputDirectory, outputDirectory.map { .string($0) })
        set(.plugins, plugins.isEmpty ? nil : .array(plugins.map { .string($0.text) }))
        set(.idempotencyKey, idempotencyKey.map { .string($0) })
        return .object(object)
    }
}
