import CommandLineKit
import JSON
import JSONRPC
import VisionCraftProtocol

/// `vcctl usage`: what each backend made, per day.
struct UsageCommand: Command {
    static let backendOption = Option(
        long: "backend", valueName: "NAME", help: "Only this backend's (from 'vcctl backends').", completion: .dynamic("backends")
    )
    static let sinceOption = Option(
        long: "since", valueName: "Nd",
        help: "The last N days, today included (30d or 30), \(UsageList.Parameters.daysRange.lowerBound) to \(UsageList.Parameters.daysRange.upperBound) (default \(UsageList.Parameters.defaultDays)d)."
    )
    static let name = "usage"
    static let configuration = CommandConfiguration(
        abstract: "Show what each backend made per day: generations, images, the time they took and the tokens they cost.",
        discussion: "Days are local dates, newest first. Seconds are the backend's own where it reports them (ComfyUI's execution time), "
            + "else the daemon's measure of each request; tokens are the totals OpenAI's GPT image models report, - where none was reported "
            + "(--json has input_tokens and output_tokens too). A backend's daily_images cap (config.toml) counts the same images.",
        options: [backendOption, sinceOption]
    )

    let global: GlobalOptions
    let parameters: UsageList.Parameters

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        var days = UsageList.Parameters.defaultDays
        if let text = arguments.value(Self.sinceOption) {
            let digits = text.hasSuffix("d") ? String(text.dropLast()) : text
            guard let number = Int(digits), UsageList.Parameters.daysRange.contains(number) else {
                let range = UsageList.Parameters.daysRange
                throw UsageError("--since expects days such as 30d, \(range.lowerBound) to \(range.upperBound), got '\(text)'")
            }
            days = number
        }
        parameters = UsageList.Parameters(backend: arguments.value(Self.backendOption), days: days)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let usage = try global.request(UsageList.self, parameters, context: context)
        if global.json {
            context.stdout.write(Output.json(usage.result, context: context))
            return .success
        }
        guard !usage.days.isEmpty else {
            context.stderr.write("nothing made in the last \(parameters.days) day(s)\n")
            return .success
        }
        let width = max(7, usage.days.map { TerminalText.visible($0.backend).count }.max() ?? 0)
        var text = "day         " + "backend".padding(toLength: width) + "  requests  images  seconds    tokens\n"
        for day in usage.days {
            let name = TerminalText.visible(day.backend)
            text += "\(day.day)  \(name.padding(toLength: width))  \(String(day.requests).leftPadded(8))  \(String(day.images).leftPadded(6))"
            // The total as the backend reported it; "-": it reported none.
            text += "  \(String(Int(day.seconds.rounded())).leftPadded(7))  \((day.tokens?.total.map(String.init) ?? "-").leftPadded(8))\n"
        }
        context.stdout.write(text)
        return .success
    }
}

extension String {
    /// Spaces after, to `length` characters.
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }

    /// Spaces before, to `length` characters.
    fileprivate func leftPadded(_ length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }
}
