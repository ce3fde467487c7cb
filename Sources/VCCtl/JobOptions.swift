import CommandLineKit
import Jobs
import Posix

/// The job options `submit` and `rerun` share: a flag for every field of a
/// job (`JobField`: its flag, value name, help and range), and waiting.
enum JobOptions {
    /// A field and its flag. A struct, not a tuple (see `FieldFlag`).
    struct FieldOption: Sendable {
        let field: JobField
        let option: Option
    }

    static let wait = Option(long: "wait", help: "Wait for the job(s) and print the saved paths.")
    static let timeout = Option(long: "timeout", valueName: "SECONDS", help: "With --wait: give up after SECONDS (exit 75).")
    /// Each field's flag (every field but the prompt, vcctl's argument).
    static let fieldOptions: [FieldOption] = JobField.allCases.compactMap { field in option(field).map { FieldOption(field: field, option: $0) } }
    static let all: [Option] = fieldOptions.map(\.option) + [wait, timeout]

    /// The flag of `field`, as help and completion show it.
    private static func option(_ field: JobField) -> Option? {
        guard let flag = field.flag else { return nil }
        let completion: Completion =
            switch field {
            case .backend: .dynamic("backends")
            case .model: .dynamic("models")
            case .sampler: .dynamic("samplers")
            case .plugins: .dynamic("plugins")
            case .initImage, .workflow: .file
            case .outputDirectory: .directory
            default: .none
            }
        return Option(
            long: String(flag.dropFirst(2)), short: field == .imageCount ? "n" : nil, valueName: field.valueName, help: field.help,
            repeatable: field.isList, completion: completion
        )
    }

    /// Whether `arguments` gave the flag of `field`.
    static func isGiven(_ field: JobField, in arguments: ParsedArguments) -> Bool {
        fieldOptions.contains { $0.field == field && !arguments.values($0.option).isEmpty }
    }

    /// Which flag set each field of job.submit's parameters, for the fields
    /// `arguments` gave, so that the daemon's invalid-params error for a field
    /// names the flag instead (`--steps must be from 1 to 30`, not
    /// `params.steps`); a field the job took from elsewhere, such as the
    /// configuration's default model, is not the flag's fault. `promptFlag`
    /// names what sets the prompt.
    static func flagsGiven(_ arguments: ParsedArguments, promptFlag: String?) -> [FieldFlag] {
        JobField.allCases.compactMap { field in
            guard let flag = field.flag else { return promptFlag.map { FieldFlag(field: field.wireName, flag: $0) } }
            return isGiven(field, in: arguments) ? FieldFlag(field: field.wireName, flag: flag) : nil
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
        var result = base
        for fieldOption in fieldOptions {
            let field = fieldOption.field, option = fieldOption.option
            func text() -> String? { arguments.value(option) }
            func integer() throws -> Int? { try arguments.int(option, in: field.integerRange) }
            func list() -> [String]? {
                let values = arguments.values(option)
                return values.isEmpty ? nil : values
            }
            switch field {
            case .prompt: break
            case .negativePrompt: result.negativePrompt = text() ?? result.negativePrompt
            case .backend: result.backend = text() ?? result.backend
            case .model: result.model = text() ?? result.model
            case .sampler: result.sampler = text() ?? result.sampler
            case .scheduler: result.scheduler = text() ?? result.scheduler
            case .imageCount: result.imageCount = try integer() ?? result.imageCount
            case .cfgScale: result.cfgScale = try arguments.double(option, in: field.numberRange) ?? result.cfgScale
            case .steps: result.steps = try integer() ?? result.steps
            case .seed: result.seed = try integer() ?? result.seed
            case .initImage: result.initImage = absolute(text()) ?? result.initImage
            case .workflow: result.workflow = absolute(text()) ?? result.workflow
            case .width: result.width = try integer() ?? result.width
            case .height: result.height = try integer() ?? result.height
            case .priority: result.priority = try integer() ?? result.priority
            case .labels: result.labels = list() ?? result.labels
            case .plugins:
                // The daemon's own reader, so a step it would refuse is refused here.
                result.plugins = try list()?.map { text throws(UsageError) in
                    do {
                        return try PluginStep(parsing: text)
                    } catch {
                        throw UsageError("--\(option.long) \(error)")
                    }
                } ?? result.plugins
            case .outputDirectory: result.outputDirectory = absolute(text()) ?? result.outputDirectory
            case .idempotencyKey: result.idempotencyKey = text() ?? result.idempotencyKey
            }
        }
        return result
    }

    /// `--wait` and `--timeout` (which needs it).
    static func waiting(_ arguments: ParsedArguments) throws -> (wait: Bool, timeout: Duration?) {
        let wait = arguments.flag(Self.wait)
        let timeout: Duration? = try arguments.double(Self.timeout, in: 0.001...(30 * 86400)).map { .milliseconds(Int64($0 * 1000)) }
        if timeout != nil, !wait { throw UsageError("--timeout needs --wait") }
        return (wait, timeout)
    }
}
