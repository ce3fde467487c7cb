import CommandLineKit
import VisionCraftProtocol

/// `vcctl wait ID...`: wait for jobs to finish; print their images' paths.
struct WaitCommand: Command {
    static let timeoutOption = Option(long: "timeout", valueName: "SECONDS", help: "Give up after SECONDS (exit 75).")
    static let idArgument = Argument(name: "ID", help: "Job ids.", variadic: true, completion: .dynamic("jobs"))
    static let name = "wait"
    static let configuration = CommandConfiguration(
        abstract: "Wait for jobs to finish and print their images' paths.",
        discussion: "Exit status: 0 all succeeded, 1 a job failed, 2 a job was cancelled, 75 timeout, 77 the queue waits for an API key, 130 interrupted (Ctrl-C stops the wait, not the job).",
        options: [Self.timeoutOption],
        arguments: [Self.idArgument]
    )

    let global: GlobalOptions
    let ids: [String]
    let timeout: Duration?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        ids = arguments.arguments(Self.idArgument)
        timeout = try arguments.double(Self.timeoutOption, in: 0.001...(30 * 86400)).map { .milliseconds(Int64($0 * 1000)) }
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        return try JobWaiting(global: global, client: client, timeout: timeout).waitAll(ids, context: context)
    }
}
