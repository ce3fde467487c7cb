import CommandLineKit
import Jobs
import Posix

/// The job options `submit` and `rerun` share: a flag for every field of a
/// job (`JobField`: its flag, value name, help and range), and waiting.
enum JobOptions {
    static let all: [Option] = JobField.allCases.compactMap(option) + [
        Option(long: "wait", help: "Wait for the job(s) and print the saved paths."),
        Option(long: "timeout", valueName: "SECONDS", help: "With --wait: give up after SECONDS (exit 75)."),
    ]

    /// The flag of `field`, as help and completion show it.
    private static func option(_ field: JobField) -> Option? {
        guard let flag = field.flag else { return nil }
        let completion: Completion =
            switch field {
            case .model: .dynamic("models")
            case .sampler: .dynamic("samplers")
            case .plugins: .dynamic("plugins")
            case .initImage: .file
            case .outputDirectory: .directory
            default: .none
            }
        return Option(
            long: String(flag.dropFirst(2)), short: field == .imageCount ? "n" : nil, valueName: field.valueName, help: field.help,
            repeatable: field.isList, completion: completion
        )
    }

    /// Which flag set each field of job.submit's parameters, for the fields
    /// `arguments` gave, so that the daemon's invalid-params error for a field
    /// names the flag instead (`--steps must be from 1 to 30`, not
    /// `params.steps`); a field the job took from elsewhere, such as the
    /// configuration's default model, is not the flag's fault. `promptFlag`
    /// names what sets the prompt.
    static func flagsGiven(_ arguments: ParsedArguments, promptFlag: String?) -> [(field: String, flag: String)] {
        JobField.allCases.compactMap { field in
            guard let flag = field.flag else { return promptFlag.map { (field.wireName, $0) } }
            return arguments.values(String(flag.dropFirst(2))).isEmpty ? nil : (field.wireName, flag)
        }
    }

    /// `base` with every option given applied (paths made absolute), each
    /// value checked against its field's range.
    static func parameters(_ arguments: ParsedArguments, base: JobRequest) throws -> JobRequest {
        let workingDirectory = ProcessEnvironment.workingDirectory()
        func absolute(_ path: String?) -> String? {
            guard let path else { return nil }
            if path.hasPrefix("/") || path.hasPrefix("http://") || path.hasPrefix("https://") { return path }
            return workingDirectory + "/" + path
        }
        func name(_ field: JobField) -> String { String((field.flag ?? "").dropFirst(2)) }
        func text(_ field: JobField) -> String? { arguments.value(name(field)) }
        func integer(_ field: JobField) throws -> Int? { try arguments.int(name(field), in: field.integerRange) }
        func list(_ field: JobField) -> [String]? {
            let values = arguments.values(name(field))
            return values.isEmpty ? nil : values
        }
        var result = base
        for field in JobField.allCases {
            switch field {
            case .prompt: break
            case .negativePrompt: result.negativePrompt = text(field) ?? result.negativePrompt
            case .model: result.model = text(field) ?? result.model
            case .sampler: result.sampler = text(field) ?? result.sampler
            case .imageCount: result.imageCount = try integer(field) ?? result.imageCount
            case .cfgScale: result.cfgScale = try arguments.double(name(field), in: field.numberRange) ?? result.cfgScale
            case .steps: result.steps = try integer(field) ?? result.steps
            case .initImage: result.initImage = absolute(text(field)) ?? result.initImage
            case .width: result.width = try integer(field) ?? result.width
            case .height: result.height = try integer(field) ?? result.height
            case .priority: result.priority = try integer(field) ?? result.priority
            case .labels: result.labels = list(field) ?? result.labels
            case .plugins: result.plugins = list(field) ?? result.plugins
            case .outputDirectory: result.outputDirectory = absolute(text(field)) ?? result.outputDirectory
            case .idempotencyKey: result.idempotencyKey = text(field) ?? result.idempotencyKey
            }
        }
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
