import CommandLineKit
import Configuration
import Jobs
import JSON
import Posix
import VisionCraftProtocol

/// `vcctl submit PROMPT [options]`: queue a job; print its id, or with
/// `--wait` the saved images' paths.
struct SubmitCommand: Command {
    static let promptArgument = Argument(name: "PROMPT", help: "What to draw, or '-' to read prompts from standard input.")
    static let name = "submit"
    static let configuration = CommandConfiguration(
        abstract: "Queue a generation job and print its id (with --wait, the saved images' paths).",
        discussion: "PROMPT '-' reads prompts from standard input, one job per non-empty line; a prompt plugin may make several jobs of one prompt (all ids are printed). Exit status with --wait: 0 all succeeded, 1 a job failed, 2 a job was cancelled, 75 timeout, 77 the queue waits for an API key, 130 interrupted (Ctrl-C stops the wait, not the job).",
        options: JobOptions.all,
        arguments: [Self.promptArgument]
    )

    let global: GlobalOptions
    let template: JobRequest
    let prompt: String
    /// Whether -n was given (else jobs.image_count from the configuration file).
    let countGiven: Bool
    let wait: Bool
    let timeout: Duration?
    /// The flags given, by the field each sets.
    let flags: [FieldFlag]

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        prompt = arguments.argument(Self.promptArgument) ?? ""
        template = try JobOptions.parameters(arguments, base: JobRequest(prompt: prompt))
        countGiven = JobOptions.isGiven(.imageCount, in: arguments)
        flags = JobOptions.flagsGiven(arguments, promptFlag: prompt == "-" ? "a prompt on standard input" : "PROMPT")
        (wait, timeout) = try JobOptions.waiting(arguments)
        if prompt.isEmpty { throw UsageError("PROMPT is empty") }
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let prompts = try readPrompts()
        var template = self.template
        if !countGiven { template.imageCount = try ConfigCommand.settings(context).imageCount }
        let jobs = prompts.enumerated().map { index, text in
            var parameters = template
            parameters.prompt = text
            if let key = template.idempotencyKey, prompts.count > 1 { parameters.idempotencyKey = "\(key)-\(index + 1)" }
            return parameters
        }
        return try Self.submit(jobs, flags: flags, asList: prompt == "-", global: global, wait: wait, timeout: timeout, context: context)
    }

    /// Submits `jobs`; prints their ids, or waits and prints their images.
    /// With `--json`, one value: the job.submit result, or with `asList`
    /// (prompts from standard input) an array of them, one per prompt.
    /// - Parameter flags: which flag set each field (`JobOptions.flagsGiven`).
    static func submit(
        _ jobs: [JobRequest], flags: [FieldFlag], asList: Bool = false, global: GlobalOptions, wait: Bool,
        timeout: Duration?, context: CommandContext
    ) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        var ids: [String] = []
        var results: [JSON] = []
        for parameters in jobs {
            let submitted = try global.call(client, JobSubmit.self, parameters, flagsByField: flags)
            ids += submitted.ids
            if !wait {
                // Ids as they are committed; JSON once, as one value.
                if global.json {
                    results.append(submitted.result)
                } else {
                    var lines = ""
                    for id in submitted.ids { lines += TerminalText.visible(id) + "\n" }
                    context.stdout.write(lines)
                }
            } else if submitted.existing {
                context.stderr.write("job \(TerminalText.visible(submitted.id)) was already submitted with this idempotency key\n")
            } else if !global.quiet {
                // Said at once: an interrupted or timed-out wait leaves a job to find again.
                let names = submitted.ids.map { TerminalText.visible($0) }.joined(separator: " ")
                context.stderr.write((submitted.ids.count == 1 ? "job \(names)" : "jobs \(names)") + " submitted; waiting\n")
            }
        }
        guard wait else {
            if global.json { context.stdout.write(Output.json(asList ? .array(results) : results[0], context: context)) }
            return .success
        }
        return try JobWaiting(global: global, client: client, timeout: timeout).waitAll(ids, asList: asList, context: context)
    }

    private func readPrompts() throws -> [String] {
        guard prompt == "-" else { return [prompt] }
        let bytes: [UInt8]
        do {
            bytes = try FileDescriptor.standardInput.readAll(limit: 16 << 20)
        } catch {
            throw CommandFailure("cannot read prompts from standard input: \(error)", exitCode: .failure)
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            String(line.last == "\r" ? line.dropLast() : line)
        }.filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
        if lines.isEmpty { throw UsageError("no prompt on standard input") }
        return lines
    }
}
