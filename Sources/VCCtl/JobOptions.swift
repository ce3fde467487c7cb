import CommandLineKit
import Posix
import VisionCraftProtocol

/// The job options `submit` and `rerun` share: every field of a job as a
/// flag, and waiting.
enum JobOptions {
    static let all: [Option] = [
            Option(long: "count", short: "n", valueName: "N", help: "Images, 1 to 100 (default: jobs.image_count in the config file, else 1); split into requests of 5."),
            Option(long: "negative", valueName: "TEXT", help: "What the image should not show."),
            Option(long: "model", valueName: "NAME", help: "A model from 'vcctl models' (default anything_V5).", completion: .dynamic("models")),
            Option(long: "sampler", valueName: "NAME", help: "A sampler from 'vcctl samplers' (default Euler).", completion: .dynamic("samplers")),
            Option(long: "cfg", valueName: "SCALE", help: "How closely to follow the prompt, 0 to 20 (default 10; 7 for --init-image)."),
            Option(long: "steps", valueName: "N", help: "Refinement steps, 1 to 30 (default 30; up to 50, default 50, for --init-image)."),
            Option(long: "init-image", valueName: "PATH|URL", help: "Start from this image (image-to-image): a local PNG, JPEG or WebP, or an http(s) URL.", completion: .file),
            Option(long: "width", valueName: "N", help: "Image-to-image width, a multiple of 8 up to 1024 (default 512)."),
            Option(long: "height", valueName: "N", help: "Image-to-image height, a multiple of 8 up to 1024 (default 512)."),
            Option(long: "priority", valueName: "N", help: "-100 to 100; higher runs first (default 0)."),
            Option(long: "label", valueName: "LABEL", help: "Tag the job (repeatable); 'vcctl list --label' finds it.", repeatable: true),
            Option(long: "plugin", valueName: "NAME[:OPTIONS]", help: "Run a plugin on the job (repeatable, in order): NAME, NAME:key=value,... or NAME:{json}.", repeatable: true, completion: .dynamic("plugins")),
            Option(long: "out", valueName: "DIR", help: "Save the images under DIR/YYYY-MM-DD/ instead of the daemon's folder.", completion: .directory),
            Option(long: "idempotency-key", valueName: "KEY", help: "Submitting again with the same KEY returns the first job instead of a new one."),
            Option(long: "wait", help: "Wait for the job(s) and print the saved paths."),
            Option(long: "timeout", valueName: "SECONDS", help: "With --wait: give up after SECONDS (exit 75)."),
    ]

    /// Which flag sets each field of job.submit's parameters, so that the
    /// daemon's invalid-params error for a field names the flag instead
    /// (`--steps must be from 1 to 30`, not `params.steps`).
    static let flagsByField: [(field: String, flag: String)] = [
        ("prompt", "PROMPT"), ("negative_prompt", "--negative"), ("model", "--model"), ("sampler", "--sampler"),
        ("image_count", "--count"), ("cfg_scale", "--cfg"), ("steps", "--steps"), ("init_images", "--init-image"),
        ("width", "--width"), ("height", "--height"), ("priority", "--priority"), ("labels", "--label"),
        ("plugins", "--plugin"), ("output_dir", "--out"), ("idempotency_key", "--idempotency-key"),
    ]

    /// The entries of `flagsByField` whose flag `arguments` gave (a field the
    /// job took from elsewhere, such as the configuration's default model,
    /// is not the flag's fault); `promptFlag` names what sets the prompt.
    static func flagsGiven(_ arguments: ParsedArguments, promptFlag: String?) -> [(field: String, flag: String)] {
        flagsByField.compactMap { entry in
            if entry.flag == "PROMPT" { return promptFlag.map { (entry.field, $0) } }
            return arguments.values(String(entry.flag.dropFirst(2))).isEmpty ? nil : entry
        }
    }

    /// `base` with every option given applied (paths made absolute).
    static func parameters(_ arguments: ParsedArguments, base: JobParameters) throws -> JobParameters {
        let workingDirectory = ProcessEnvironment.workingDirectory()
        func absolute(_ path: String?) -> String? {
            guard let path else { return nil }
            if path.hasPrefix("/") || path.hasPrefix("http://") || path.hasPrefix("https://") { return path }
            return workingDirectory + "/" + path
        }
        var result = base
        if let value = arguments.value("negative") { result.negativePrompt = value }
        if let value = arguments.value("model") { result.model = value }
        if let value = arguments.value("sampler") { result.sampler = value }
        if let value = try arguments.int("count", in: JobParameters.imageCountRange) { result.imageCount = value }
        if let value = try arguments.double("cfg", in: 0...20) { result.cfgScale = value }
        if let value = try arguments.int("steps", in: 1...50) { result.steps = value }
        if let value = arguments.value("init-image") { result.initImage = absolute(value) }
        if let value = try arguments.int("width", in: 8...1024) { result.width = value }
        if let value = try arguments.int("height", in: 8...1024) { result.height = value }
        if let value = try arguments.int("priority", in: JobParameters.priorityRange) { result.priority = value }
        if !arguments.values("label").isEmpty { result.labels = arguments.values("label") }
        if let value = arguments.value("out") { result.outputDirectory = absolute(value) }
        if !arguments.values("plugin").isEmpty { result.plugins = arguments.values("plugin") }
        if let value = arguments.value("idempotency-key") { result.idempotencyKey = value }
        return result
    }

    /// `--wait` and `--timeout` (which needs it).
    static func waiting(_ arguments: ParsedArguments) throws -> (wait: Bool, timeout: Duration?) {
        let wait = arguments.flag("wait")
        let timeout: Duration? = try arguments.double("timeout", in: 0.001...(30 * 86400)).map { .milliseconds(Int64($0 * 1000)) }
        if timeout != nil, !wait { throw UsageError("--timeout needs --wait") }
        return (wait, timeout)
    }
}
