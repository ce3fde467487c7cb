import CommandLineKit
import JSON
import Posix
import VisionCraftProtocol

/// `vcctl submit PROMPT [options]`: queue a job; print its id, or with
/// `--wait` the saved images' paths.
struct SubmitCommand: Command {
    static let configuration = CommandConfiguration(
        name: "submit",
        abstract: "Queue a generation job and print its id (with --wait, the saved images' paths).",
        discussion: "PROMPT '-' reads prompts from standard input, one job per non-empty line; a prompt plugin may make several jobs of one prompt (all ids are printed). Exit status with --wait: 0 all succeeded, 1 a job failed, 2 a job was cancelled, 75 timeout, 77 the queue waits for an API key.",
        options: [
            Option(long: "count", short: "n", valueName: "N", help: "Images, 1 to 100 (default 1); split into requests of 5."),
            Option(long: "negative", valueName: "TEXT", help: "What the image should not show."),
            Option(long: "model", valueName: "NAME", help: "A model from 'vcctl models' (default anything_V5).", completion: .dynamic("models")),
            Option(long: "sampler", valueName: "NAME", help: "A sampler from 'vcctl samplers' (default Euler).", completion: .dynamic("samplers")),
            Option(long: "cfg", valueName: "SCALE", help: "How closely to follow the prompt, 0 to 20 (default 10; 7 for --init-image)."),
            Option(long: "steps", valueName: "N", help: "Refinement steps, 1 to 30 (default 30; up to 50, default 50, for --init-image)."),
            Option(long: "init-image", valueName: "PATH|URL", help: "Start from this image (image-to-image): a local PNG, JPEG or WebP, or an http(s) URL.", completion: .file),
            Option(long: "width", valueName: "N", help: "Image-to-image width, a multiple of 8 up to 1024 (default 512)."),
            Option(long: "height", valueName: "N", help: "Image-to-image height, a multiple of 8 up to 1024 (default 512)."),
            Option(long: "priority", valueName: "N", help: "-100 to 100; higher runs first (default 0)."),
            Option(long: "label", valueName: "LABEL", help: "Tag the job (repeatable); 'vcctl list --label' finds it.", repeatable: true),
            Option(long: "plugin", valueName: "NAME[:OPTIONS]", help: "Run a plugin on the job (repeatable, in order): NAME, NAME:key=value,... or NAME:{json}.", repeatable: true, completion: .dynamic("plugins")),
            Option(long: "out", valueName: "DIR", help: "Save the images under DIR/YYYY-MM-DD/ instead of the daemon's folder.", completion: .directory),
            Option(long: "idempotency-key", valueName: "KEY", help: "Submitting again with the same KEY returns the first job instead of a new one."),
            Option(long: "wait", help: "Wait for the job(s) and print the saved paths."),
            Option(long: "timeout", valueName: "SECONDS", help: "With --wait: give up after SECONDS (exit 75)."),
        ],
        arguments: [Argument(name: "PROMPT", help: "What to draw, or '-' to read prompts from standard input.")]
    )

    let global: GlobalOptions
    let template: JobParameters
    let prompt: String
    let wait: Bool
    let timeout: Duration?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        prompt = arguments.argument("PROMPT") ?? ""
        let workingDirectory = ProcessEnvironment.workingDirectory()
        func absolute(_ path: String?) -> String? {
            guard let path else { return nil }
            if path.hasPrefix("/") || path.hasPrefix("http://") || path.hasPrefix("https://") { return path }
            return workingDirectory + "/" + path
        }
        template = JobParameters(
            prompt: prompt, negativePrompt: arguments.value("negative") ?? "", model: arguments.value("model"),
            sampler: arguments.value("sampler"), imageCount: try arguments.int("count", in: JobParameters.imageCountRange) ?? 1,
            cfgScale: try arguments.double("cfg", in: 0...20), steps: try arguments.int("steps", in: 1...50),
            initImage: absolute(arguments.value("init-image")), width: try arguments.int("width", in: 8...1024),
            height: try arguments.int("height", in: 8...1024), priority: try arguments.int("priority", in: JobParameters.priorityRange) ?? 0,
            labels: arguments.values("label"), outputDirectory: absolute(arguments.value("out")), plugins: arguments.values("plugin"),
            idempotencyKey: arguments.value("idempotency-key")
        )
        wait = arguments.flag("wait")
        timeout = try arguments.double("timeout", in: 0.001...(30 * 86400)).map { .milliseconds(Int64($0 * 1000)) }
        if timeout != nil, !wait { throw UsageError("--timeout needs --wait") }
        if prompt.isEmpty { throw UsageError("PROMPT is empty") }
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let prompts = try readPrompts()
        let client = try global.connect(context)
        defer { client.close() }
        var ids: [String] = []
        for (index, text) in prompts.enumerated() {
            var parameters = template
            parameters.prompt = text
            if let key = template.idempotencyKey, prompts.count > 1 { parameters.idempotencyKey = "\(key)-\(index + 1)" }
            let submitted = try global.call(client, JobSubmit.self, parameters)
            ids += submitted.ids
            if !wait {
                context.stdout.write(global.json ? Output.json(submitted.result, context: context) : submitted.ids.map { $0 + "\n" }.joined())
            } else if submitted.existing {
                context.stderr.write("job \(submitted.id) was already submitted with this idempotency key\n")
            }
        }
        guard wait else { return .success }
        let waiting = JobWaiting(global: global, client: client, timeout: timeout)
        var worst = ExitCode.success
        for id in ids {
            let job = try waiting.wait(for: id)
            JobWaiting.report(job, global: global, context: context)
            let code = JobWaiting.exitCode(job)
            if code != .success, worst == .success || code == .failure { worst = code }
        }
        return worst
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
