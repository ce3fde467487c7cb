import CommandLineKit
import Jobs
import JSON
import VisionCraftProtocol

/// `vcctl list`: jobs, newest first.
struct ListCommand: Command {
    static let stateOption = Option(long: "state", valueName: "STATE", help: "Only jobs in this state.", completion: .values(JobState.allCases.map(\.rawValue)))
    static let labelOption = Option(long: "label", valueName: "LABEL", help: "Only jobs with this label.")
    static let textOption = Option(long: "text", valueName: "TEXT", help: "Only jobs whose prompt contains TEXT.")
    static let limitOption = Option(long: "limit", valueName: "N", help: "At most N jobs, 1 to 1000 (default 50).")
    static let name = "list"
    static let configuration = CommandConfiguration(
        abstract: "List jobs, newest first: id, state, images done, created, prompt.",
        options: [
            Self.stateOption,
            Self.labelOption,
            Self.textOption,
            Self.limitOption,
        ]
    )

    let global: GlobalOptions
    let parameters: JobList.Parameters

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        parameters = JobList.Parameters(
            state: try arguments.choice(Self.stateOption, from: JobState.allCases.map(\.rawValue)).flatMap(JobState.init(rawValue:)), label: arguments.value(Self.labelOption),
            text: arguments.value(Self.textOption), limit: try arguments.int(Self.limitOption, in: 1...1000) ?? 50
        )
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        _ = try Self.show(parameters, global: global, context: context)
        return .success
    }

    /// Jobs as `list` and `history` print them: each job whole with
    /// `--json` (read and checked as `JobInfo`), else a line each, or ids
    /// with `--quiet`, asked for and read as `JobSummary`s (a line shows a
    /// few fields; the job's parameters and images are most of an entry).
    /// Returns how many it printed.
    static func show(_ parameters: JobQuery, global: GlobalOptions, context: CommandContext) throws(CommandFailure) -> Int {
        if global.json {
            let jobs = try global.request(JobList.self, parameters, context: context).jobs
            context.stdout.write(Output.json(.array(jobs.map(\.result)), context: context))
            return jobs.count
        }
        var summaries = parameters
        summaries.summary = true
        let jobs = try global.request(JobList.Summaries.self, summaries, context: context).jobs
        if global.quiet {
            context.stdout.write(jobs.map { TerminalText.visible($0.id) + "\n" }.joined())
        } else {
            let colour = Output.colours(context)
            for job in jobs { context.stdout.write(JobDescription.line(job, colour: colour)) }
        }
        return jobs.count
    }
}
