import CommandLineKit
import JSON
import VisionCraftProtocol

/// `vcctl list`: jobs, newest first.
struct ListCommand: Command {
    static let configuration = CommandConfiguration(
        name: "list",
        abstract: "List jobs, newest first: id, state, images done, created, prompt.",
        options: [
            Option(long: "state", valueName: "STATE", help: "Only jobs in this state.", completion: .values(JobList.Parameters.states)),
            Option(long: "label", valueName: "LABEL", help: "Only jobs with this label."),
            Option(long: "text", valueName: "TEXT", help: "Only jobs whose prompt contains TEXT."),
            Option(long: "limit", valueName: "N", help: "At most N jobs, 1 to 1000 (default 50)."),
        ]
    )

    let global: GlobalOptions
    let parameters: JobList.Parameters

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        parameters = JobList.Parameters(
            state: try arguments.choice("state", from: JobList.Parameters.states), label: arguments.value("label"),
            text: arguments.value("text"), limit: try arguments.int("limit", in: 1...1000) ?? 50
        )
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let page = try global.call(client, JobList.self, parameters)
        if global.json {
            context.stdout.write(Output.json(.array(page.jobs.map(\.result)), context: context))
        } else if global.quiet {
            context.stdout.write(page.jobs.map { $0.id + "\n" }.joined())
        } else {
            let colour = Output.colours(context)
            for job in page.jobs { context.stdout.write(JobDescription.line(job, colour: colour)) }
        }
        return .success
    }
}
