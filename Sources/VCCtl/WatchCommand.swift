import CommandLineKit
import JSON
import JSONRPC
import VisionCraftProtocol

/// `vcctl watch [ID...]`: one line per job change, as they happen.
struct WatchCommand: Command {
    static let idArgument = Argument(name: "ID", help: "Only these jobs.", optional: true, variadic: true, completion: .dynamic("jobs"))
    static let name = "watch"
    static let configuration = CommandConfiguration(
        abstract: "Print a line for every change of the jobs (or of the jobs named), as they happen.",
        discussion: "With ids, ends once they are all finished (exit status as for wait); without, runs until interrupted. --json prints each change as one JSON object per line (the job.updated notification's params).",
        arguments: [Self.idArgument]
    )

    let global: GlobalOptions
    let ids: [String]

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        ids = arguments.arguments(Self.idArgument)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        _ = try global.call(client, EventsSubscribe.self, NoParameters())
        var pending = Set<String>()
        var watched = Set<String>()
        var worst = ExitCode.success
        // Jobs already finished before the subscription count at once. The
        // daemon resolves short ids and `last`: events carry whole ones.
        for reference in ids {
            let job = try global.call(client, JobGet.self, JobIDParameters(id: reference))
            watched.insert(job.id)
            pending.insert(job.id)
            if job.isTerminal {
                // Its last change happened before the subscription: shown now.
                show(JobUpdated(
                    id: job.id, state: job.state, imagesDone: job.imagesDone, imageCount: job.params.imageCount, attempts: job.attempts,
                    nextAttemptAt: job.nextAttemptAt, error: job.error
                ), context: context)
                pending.remove(job.id)
                worst = Self.worse(worst, JobWaiting.exitCode(job))
            }
        }
        while ids.isEmpty || !pending.isEmpty {
            let notification: RPCNotification?
            do {
                notification = try client.rpc.nextNotification(timeout: nil)
            } catch {
                throw Failure.from(.call(error))
            }
            guard let notification else { continue }
            if notification.method == JobUpdated.droppedMethod {
                context.stderr.write("(events were dropped: the terminal read too slowly)\n")
                continue
            }
            guard notification.method == JobUpdated.method, let params = notification.params,
                let update = try? JobUpdated(params: params), ids.isEmpty || watched.contains(update.id)
            else { continue }
            show(update, context: context)
            if update.state.isTerminal, pending.remove(update.id) != nil {
                worst = Self.worse(worst, update.state == .succeeded ? .success : update.state == .cancelled ? ExitCode(rawValue: 2) : .failure)
            }
        }
        return worst
    }

    /// One change: a line, its notification's params with --json, the id of
    /// a finished job with --quiet.
    private func show(_ update: JobUpdated, context: CommandContext) {
        if global.json {
            context.stdout.write(JSONSerializer.serializeToString(update.params) + "\n")
        } else if global.quiet {
            if update.state.isTerminal { context.stdout.write(TerminalText.visible(update.id) + "\n") }
        } else {
            context.stdout.write(Self.line(update))
        }
    }

    static func line(_ update: JobUpdated) -> String {
        var line = "\(update.id)  \(update.state)  \(update.imagesDone)/\(update.imageCount)"
        if let progress = update.progress {
            line += "  \(Int((progress * 100).rounded()))%"
            if let left = update.remainingSeconds { line += " (\(Int(left.rounded(.up))) s left)" }
        }
        if let next = update.nextAttemptAt { line += "  retry at \(next)" }
        if let error = update.error { line += "  \(error.kind): \(error.message)" }
        return TerminalText.visible(line) + "\n"
    }

    static func worse(_ current: ExitCode, _ next: ExitCode) -> ExitCode {
        if current == .failure || next == .success { return current }
        return next
    }
}
