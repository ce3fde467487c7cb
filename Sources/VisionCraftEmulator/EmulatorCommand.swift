import CommandLineKit
import Posix

/// `visioncraft-emulator`: the emulator as a program.
public struct EmulatorCommand: Command {
    public static let configuration = CommandConfiguration(
        name: "visioncraft-emulator",
        abstract: "A local server that behaves like the VisionCraft API, for tests and offline use.",
        discussion: "Prints 'listening on http://HOST:PORT' once ready. SIGTERM or SIGINT stop it.",
        options: [
            Option(long: "host", valueName: "ADDRESS", help: "The IPv4 address to listen on (default 127.0.0.1: loopback only)."),
            Option(long: "port", valueName: "N", help: "The port (default 0: a free one, printed on start)."),
            Option(long: "token", valueName: "TOKEN", help: "Accept only this token; repeat for more (default: any non-empty token).", repeatable: true),
            Option(long: "tokens-file", valueName: "PATH", help: "Accept the tokens listed in PATH, one per line.", completion: .file),
            Option(long: "seed", valueName: "N", help: "Seed for the pictures (default 0)."),
        ]
    )

    let settings: VisionCraftEmulator.Configuration

    public init(_ arguments: ParsedArguments) throws {
        var settings = VisionCraftEmulator.Configuration()
        settings.host = arguments.value("host") ?? "127.0.0.1"
        settings.port = UInt16(try arguments.int("port", in: 0...65535) ?? 0)
        if let seed = arguments.value("seed") {
            guard let value = UInt64(seed) else { throw UsageError("option '--seed' expects a non-negative integer, got '\(seed)'") }
            settings.seed = value
        }
        var tokens = Set(arguments.values("token"))
        if let file = arguments.value("tokens-file") {
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readFile(file)
            } catch {
                throw UsageError("cannot read --tokens-file: \(error)")
            }
            for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let token = line.trimmingCharacters(in: " \t\r")
                if !token.isEmpty, !token.hasPrefix("#") { tokens.insert(token) }
            }
            if tokens.isEmpty { throw UsageError("--tokens-file \(file) lists no tokens") }
        }
        settings.tokens = tokens.isEmpty ? .any : .only(tokens)
        self.settings = settings
    }

    public func run(_ context: CommandContext) throws -> ExitCode {
        let emulator: VisionCraftEmulator
        do {
            emulator = try VisionCraftEmulator(configuration: settings)
            try emulator.start()
        } catch {
            throw CommandFailure("cannot listen on \(settings.host):\(settings.port): \(error)", exitCode: .unavailable)
        }
        context.stdout.write("listening on \(emulator.baseURL)\n")
        let stop = ThreadCondition<Signal?>(nil)
        _ = try SignalWaiter([.terminate, .interrupt]) { signal in stop.update { $0 = signal } }
        stop.wait { $0 != nil }
        emulator.stop()
        return .success
    }

    /// The entry point: blocks the stop signals before any thread exists.
    public static func main(_ arguments: [String]) -> ExitCode {
        Signals.block([.terminate, .interrupt])
        Signals.ignoreBrokenPipe()
        return CommandLineTool.main(Self.self, arguments: arguments, context: .standard(), version: "0.1.0")
    }
}

extension Substring {
    /// Without the given characters at either end.
    func trimmingCharacters(in characters: String) -> String {
        var slice = self
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
