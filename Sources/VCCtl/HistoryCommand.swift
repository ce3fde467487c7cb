import CommandLineKit
import Jobs
import JSON
import VisionCraftProtocol

/// `vcctl history [QUERY]` and `vcctl history rm`: every job is history.
struct HistoryCommand: Command {
    static let stateOption = Option(long: "state", valueName: "STATE", help: "Only jobs in this state.", completion: .values(JobState.allCases.map(\.rawValue)))
    static let limitOption = Option(long: "limit", valueName: "N", help: "At most N jobs, 1 to 1000 (default 50).")
    static let queryArgument = Argument(name: "QUERY", help: "Words the prompt must have.", optional: true, variadic: true)
    static let name = "history"
    static let configuration = CommandConfiguration(
        abstract: "Search past prompts (full-text: every word, any case, word prefixes), newest first.",
        discussion: "Without QUERY, every job. --json prints each job whole: parameters, images, timings, errors.",
        options: [
            Self.stateOption,
            Self.limitOption,
        ],
        arguments: [Self.queryArgument],
        subcommands: [Remove.self]
    )

    let global: GlobalOptions
    let parameters: JobList.Parameters

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        let query = arguments.arguments(Self.queryArgument).joined(separator: " ")
        parameters = JobList.Parameters(
            state: try arguments.choice(Self.stateOption, from: JobState.allCases.map(\.rawValue)).flatMap(JobState.init(rawValue:)), search: query.isEmpty ? nil : query,
            limit: try arguments.int(Self.limitOption, in: 1...1000) ?? 50
        )
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let shown = try ListCommand.show(parameters, global: global, context: context)
        if shown == 0, !global.json, let search = parameters.search { context.stderr.write("no job's prompt has: \(TerminalText.visible(search))\n") }
        return .success
    }

    /// `vcctl history rm`.
    struct Remove: Command {
        static let olderThanOption = Option(long: "older-than", valueName: "AGE", help: "Every job finished at least AGE ago: a number with s, m, h, d or w (30d, 12h); plain seconds without.")
        static let filesOption = Option(long: "files", help: "Also delete the jobs' image files.")
        static let idArgument = Argument(name: "ID", help: "Jobs to delete.", optional: true, variadic: true, completion: .dynamic("jobs"))
        static let name = "rm"
        static let configuration = CommandConfiguration(
            abstract: "Delete finished jobs from the history: the ones named, or with --older-than every one that finished that long ago.",
            discussion: "Image files are kept unless --files is given. Queued or running jobs are never deleted (cancel them first). Prints the ids deleted.",
            options: [
                Self.olderThanOption,
                Self.filesOption,
            ],
            arguments: [Self.idArgument]
        )

        let global: GlobalOptions
        let parameters: JobDelete.Parameters

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            let ids = arguments.arguments(Self.idArgument)
            let age = try arguments.value(Self.olderThanOption).map { text throws(UsageError) in try Self.seconds(text) }
            switch (ids.isEmpty, age) {
            case (true, nil): throw UsageError("name the jobs to delete, or give --older-than AGE")
            case (false, _?): throw UsageError("give job ids or --older-than, not both")
            default: break
            }
            if ids.count > 1000 { throw UsageError("at most 1000 ids at once; --older-than prunes in bulk") }
            parameters = JobDelete.Parameters(ids: ids.isEmpty ? nil : ids, olderThanSeconds: age, files: arguments.flag(Self.filesOption))
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let result = try global.request(JobDelete.self, parameters, context: context)
            if global.json {
                context.stdout.write(Output.json(result.result, context: context))
            } else {
                context.stdout.write(result.deleted.map { TerminalText.visible($0) + "\n" }.joined())
                if !global.quiet {
                    let files = parameters.files ? ", \(result.filesRemoved) image file(s) removed" : "; image files kept (--files removes them)"
                    context.stderr.write("deleted \(result.deleted.count) job(s)\(files)\n")
                }
            }
            for error in result.fileErrors { context.stderr.write("not removed: \(TerminalText.visible("\(error)"))\n") }
            return result.fileErrors.isEmpty ? .success : .failure
        }

        /// `30d`, `12h`, `90m`, `45s`, `2w` or plain seconds.
        static func seconds(_ text: String) throws(UsageError) -> Double {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
            var number = Substring(text)
            var unit = 1.0
            if let last = text.last, let factor = units[last] {
                number = number.dropLast()
                unit = factor
            }
            guard let value = Double(number), value >= 0, value.isFinite, value * unit <= 100 * 365 * 86400 else {
                throw UsageError("--older-than \(text): expected an age such as 30d, 12h, 90m or 3600 (seconds)")
            }
            return value * unit
        }
    }
}
