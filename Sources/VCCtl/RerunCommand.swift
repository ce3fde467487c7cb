import CommandLineKit
import Jobs
import VisionCraftProtocol

/// `vcctl rerun ID [options]`: a new job with a job's parameters, options
/// overriding them.
struct RerunCommand: Command {
    static let promptOption = Option(long: "prompt", valueName: "TEXT", help: "Replace the prompt.")
    static let idArgument = Argument(name: "ID", help: "The job to run again.", completion: .dynamic("jobs"))
    static let name = "rerun"
    static let configuration = CommandConfiguration(
        abstract: "Submit a new job with the parameters of job ID; options override them (as for submit).",
        discussion: "The new job has its own id and images; the old one is left as it is. Its idempotency key is not copied.",
        options: JobOptions.all + [Self.promptOption],
        arguments: [Self.idArgument]
    )

    let global: GlobalOptions
    let id: String
    let arguments: ParsedArguments
    let wait: Bool
    let timeout: Duration?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        id = arguments.argument(Self.idArgument) ?? ""
        self.arguments = arguments
        (wait, timeout) = try JobOptions.waiting(arguments)
        _ = try JobOptions.parameters(arguments, base: JobRequest(prompt: "x"))  // usage errors now, before connecting
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let original: JobInfo
        do {
            let client = try global.connect(context)
            defer { client.close() }
            original = try global.call(client, JobGet.self, JobIDParameters(id: id))
        }
        var base = original.params
        base.idempotencyKey = nil
        if let prompt = arguments.value(Self.promptOption) { base.prompt = prompt }
        let parameters = try JobOptions.parameters(arguments, base: base)
        return try SubmitCommand.submit([parameters], flags: JobOptions.flagsGiven(arguments, promptFlag: arguments.value(Self.promptOption).map { _ in "--prompt" }), global: global, wait: wait, timeout: timeout, context: context)
    }
}
