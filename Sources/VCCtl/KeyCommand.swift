import CommandLineKit
import JSONRPC
import JSON
import Posix
import VisionCraftProtocol

/// `vcctl key set|status|clear`: each backend's key (`--backend`), the
/// default backend's without it.
struct KeyCommand: Command {
    static let name = "key"
    static let configuration = CommandConfiguration(
        abstract: "Store a backend's API key, show whether one is set, or delete it.",
        subcommands: [Set.self, Status.self, Clear.self]
    )

    /// Whose key; shared by the three subcommands.
    static let backendOption = Option(
        long: "backend", valueName: "NAME", help: "A backend from 'vcctl backends' (default: the daemon's default).", completion: .dynamic("backends")
    )

    init(_ arguments: ParsedArguments) throws {}

    func run(_ context: CommandContext) throws -> ExitCode { .usage }

    /// `vcctl key set`: reads the key from a hidden prompt on a terminal, else
    /// from standard input; never from the command line, where other users
    /// could see it in the process list.
    struct Set: Command {
        static let name = "set"
        static let configuration = CommandConfiguration(
            abstract: "Store a backend's API key: typed at a hidden prompt, or read from standard input (echo KEY | vcctl key set).",
            discussion: "The daemon writes it to $XDG_CONFIG_HOME/visioncraft/key (mode 0600), or key-NAME for backend NAME, and resumes that backend's jobs that wait for a key. An AUTOMATIC1111 server started with --api-auth takes user:password.",
            options: [KeyCommand.backendOption]
        )

        let global: GlobalOptions
        let backend: String?

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            backend = arguments.value(KeyCommand.backendOption)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let key = try readKey(context)
            let client = try global.connect(context)
            defer { client.close() }
            let status = try global.call(client, KeySet.self, KeySet.Parameters(key: key, backend: backend))
            Status.show(status, global: global, context: context)
            return .success
        }

        private func readKey(_ context: CommandContext) throws -> String {
            let input = FileDescriptor.standardInput
            var saved = termios()
            let terminal = isatty(input.rawValue) == 1 && tcgetattr(input.rawValue, &saved) == 0
            if terminal {
                context.stderr.write("API key (not shown): ")
                var hidden = saved
                hidden.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(input.rawValue, TCSANOW, &hidden)
            }
            defer {
                if terminal {
                    tcsetattr(input.rawValue, TCSANOW, &saved)
                    context.stderr.write("\n")
                }
            }
            let bytes: [UInt8]
            do {
                bytes = terminal ? try readLine(input) : try input.readAll(limit: 8192)
            } catch {
                throw CommandFailure("cannot read the key: \(error)", exitCode: .failure)
            }
            var key = String(decoding: bytes, as: UTF8.self)
            while let last = key.last, last == "\n" || last == "\r" || last == " " { key.removeLast() }
            guard !key.isEmpty else { throw UsageError("no key given (type it at the prompt, or: echo KEY | vcctl key set)") }
            return key
        }

        private func readLine(_ input: FileDescriptor) throws -> [UInt8] {
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while line.count < 8192, read(input.rawValue, &byte, 1) == 1, byte != 0x0A {
                line.append(byte)
            }
            return line
        }
    }

    /// `vcctl key clear`.
    struct Clear: Command {
        static let name = "clear"
        static let configuration = CommandConfiguration(
            abstract: "Delete a backend's stored key; then show what is left (VISIONCRAFT_API_KEY or a systemd credential the daemon started with, else missing).",
            options: [KeyCommand.backendOption]
        )

        let global: GlobalOptions
        let backend: String?

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            backend = arguments.value(KeyCommand.backendOption)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let status = try global.request(KeyClear.self, KeyBackendParameters(backend: backend), context: context)
            Status.show(status, global: global, context: context)
            return .success
        }
    }

    /// `vcctl key status`.
    struct Status: Command {
        static let name = "status"
        static let configuration = CommandConfiguration(
            abstract: "Show whether a backend's key is set, where it came from, and whether the backend refused it (exit 77 if missing or refused).",
            options: [KeyCommand.backendOption]
        )

        let global: GlobalOptions
        let backend: String?

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            backend = arguments.value(KeyCommand.backendOption)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let status = try global.request(KeyStatus.self, KeyBackendParameters(backend: backend), context: context)
            Self.show(status, global: global, context: context)
            return status.state == "set" ? .success : .noPermission
        }

        static func show(_ status: KeyStatus.Result, global: GlobalOptions, context: CommandContext) {
            if global.json {
                context.stdout.write(Output.json(status.result, context: context))
                return
            }
            var line = status.state
            if let masked = status.masked { line += " \(masked)" }
            if let source = status.source { line += " (from \(source))" }
            context.stdout.write(TerminalText.visible(line) + "\n")
            if let reason = status.reason { context.stderr.write("the upstream refused it: \(TerminalText.visible(reason)); vcctl key set stores a new one\n") }
        }
    }
}
