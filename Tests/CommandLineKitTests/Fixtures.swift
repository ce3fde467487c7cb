@testable import CommandLineKit
import Synchronization

/// What the fake commands saw, for assertions.
final class Recorder: Sendable {
    private let storage = Mutex<[String]>([])
    func record(_ entry: String) { storage.withLock { $0.append(entry) } }
    var entries: [String] { storage.withLock { $0 } }
}

let recorder = Recorder()

struct Tool: Command {
    static let name = "tool"
    static let configuration = CommandConfiguration(
        abstract: "A tool for tests.",
        discussion: "It has a group and leaves.",
        options: [
            Option(long: "socket", valueName: "PATH", help: "Where to connect.", inherited: true, completion: .file),
            Option(long: "json", help: "Machine output.", inherited: true),
            Option(long: "secret", help: "Not shown.", inherited: true, hidden: true),
        ],
        subcommands: [Submit.self, Daemon.self, Fail.self]
    )
    init(_ arguments: ParsedArguments) throws {}
    func run(_ context: CommandContext) throws -> ExitCode { .usage }
}

struct Submit: Command {
    static let name = "submit"
    static let configuration = CommandConfiguration(
        abstract: "Submit prompts.",
        options: [
            Option(long: "count", short: "n", valueName: "N", help: "How many images."),
            Option(long: "label", short: "l", valueName: "LABEL", help: "A label; repeat for more.", repeatable: true),
            Option(long: "wait", short: "w", help: "Wait until done."),
            Option(long: "quiet", short: "q", help: "Print less."),
            Option(long: "cfg", valueName: "SCALE", help: "CFG scale."),
            Option(long: "model", valueName: "NAME", help: "The model.", completion: .dynamic("models")),
        ],
        arguments: [Argument(name: "PROMPT", help: "What to draw.", variadic: true)]
    )

    let summary: String

    init(_ arguments: ParsedArguments) throws {
        let count = try arguments.int("count", in: 1...100)
        let cfg = try arguments.double("cfg", in: -20...20)
        summary = [
            "prompts=\(arguments.arguments("PROMPT"))",
            "count=\(count.map(String.init) ?? "nil")",
            "labels=\(arguments.values("label"))",
            "wait=\(arguments.flag("wait"))",
            "quiet=\(arguments.flag("quiet"))",
            "cfg=\(cfg.map { String($0) } ?? "nil")",
            "model=\(arguments.value("model") ?? "nil")",
            "socket=\(arguments.value("socket") ?? "nil")",
            "json=\(arguments.flag("json"))",
            "secret=\(arguments.flag("secret"))",
        ].joined(separator: " ")
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        recorder.record(summary)
        context.stdout.write(summary + "\n")
        return .success
    }
}

struct Daemon: Command {
    static let name = "daemon"
    static let configuration = CommandConfiguration(
        abstract: "Manage the daemon.", subcommands: [Start.self, Stop.self]
    )
    init(_ arguments: ParsedArguments) throws {}
    func run(_ context: CommandContext) throws -> ExitCode { .usage }

    struct Start: Command {
        static let name = "start"
        static let configuration = CommandConfiguration(
            abstract: "Start it.",
            options: [Option(long: "foreground", help: "Stay in the foreground.")]
        )
        let path: [String]
        init(_ arguments: ParsedArguments) throws { path = arguments.commandPath }
        func run(_ context: CommandContext) throws -> ExitCode {
            context.stdout.write(path.joined(separator: "/") + "\n")
            return .success
        }
    }

    struct Stop: Command {
        static let name = "stop"
        static let configuration = CommandConfiguration(
            abstract: "Stop it.",
            arguments: [Argument(name: "REASON", help: "Why.", optional: true)]
        )
        let reason: String?
        init(_ arguments: ParsedArguments) throws { reason = arguments.argument("REASON") }
        func run(_ context: CommandContext) throws -> ExitCode {
            context.stdout.write("stop \(reason ?? "-")\n")
            return ExitCode(rawValue: 3)
        }
    }
}

struct Fail: Command {
    static let name = "fail"
    static let configuration = CommandConfiguration(
        abstract: "Fail on purpose.",
        options: [Option(long: "how", valueName: "KIND", help: "failure, usage or other.")]
    )
    let how: String
    init(_ arguments: ParsedArguments) throws {
        how = try arguments.choice("how", from: ["failure", "usage", "other"]) ?? "failure"
    }
    struct Oops: Error, CustomStringConvertible { var description: String { "something broke" } }
    func run(_ context: CommandContext) throws -> ExitCode {
        switch how {
        case "failure": throw CommandFailure("the daemon is away", exitCode: .unavailable, hint: "Start it with 'tool daemon start'.")
        case "usage": throw UsageError("PROMPT must not be empty")
        default: throw Oops()
        }
    }
}

/// Runs the tool and captures everything.
struct Run {
    let code: ExitCode
    let stdout: String
    let stderr: String

    init(_ arguments: [String]) {
        let out = BufferedOutput()
        let err = BufferedOutput()
        code = CommandLineTool.main(Tool.self, arguments: arguments, context: CommandContext(stdout: out, stderr: err), version: "9.9.9")
        stdout = out.text
        stderr = err.text
    }
}
