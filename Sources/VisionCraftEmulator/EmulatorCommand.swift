import CommandLineKit
import JSON
import Posix

/// `visioncraft-emulator`: the emulator as a program.
package struct EmulatorCommand: Command {
    /// The APIs the emulator can speak, the first the default.
    static let apis = ["visioncraft", "a1111", "openai", "comfyui"]
    static let apiOption = Option(
        long: "api", valueName: "API", help: "The API to serve: visioncraft (the default), a1111 (AUTOMATIC1111's /sdapi/v1), openai (OpenAI's /v1/images) or comfyui (ComfyUI's /prompt queue).",
        completion: .values(EmulatorCommand.apis)
    )
    static let apiAuthOption = Option(
        long: "api-auth", valueName: "USER:PASSWORD[,...]", help: "With --api a1111: require HTTP Basic auth with these users, as A1111's --api-auth does."
    )
    static let apiKeyOption = Option(
        long: "api-key", valueName: "KEY[,KEY...]",
        help: "With --api openai: accept only these Bearer keys (default: any key or none, as local servers do)."
    )
    static let quotaImagesOption = Option(
        long: "quota-images", valueName: "N", help: "With --api openai: after N images, answer every generation with 429 insufficient_quota (the billing error)."
    )
    static let a1111VersionOption = Option(
        long: "a1111-version", valueName: "VERSION",
        help: "With --api a1111: answer as release 1.10 (the default) or 1.8 (samplers named with their schedule, no /schedulers, an unknown sampler a 404).",
        completion: .values(A1111Release.allCases.map(\.rawValue))
    )
    static let stepTimeOption = Option(
        long: "step-time", valueName: "MS", help: "With --api a1111 or comfyui: let each sampling step take MS milliseconds, so that progress moves and requests queue (default 0)."
    )
    static let loseHistoryOption = Option(
        long: "lose-history", help: "With --api comfyui: drop each finished prompt's history entry, as a ComfyUI restart does."
    )
    static let stallQueueOption = Option(long: "stall-queue", help: "With --api comfyui: queue prompts but never run them.")
    static let noWebSocketOption = Option(
        long: "no-websocket", help: "With --api comfyui: answer /ws with 404, as a proxy that passes no websockets does (clients must poll)."
    )
    static let hostOption = Option(long: "host", valueName: "ADDRESS", help: "The IPv4 address to listen on (default 127.0.0.1: loopback only).")
    static let portOption = Option(long: "port", valueName: "N", help: "The port (default 0: a free one, printed on start).")
    static let tokenOption = Option(long: "token", valueName: "TOKEN", help: "Accept only this token; repeat for more (default: any non-empty token).", repeatable: true)
    static let tokensFileOption = Option(long: "tokens-file", valueName: "PATH", help: "Accept the tokens listed in PATH, one per line.", completion: .file)
    static let seedOption = Option(long: "seed", valueName: "N", help: "Seed for the pictures and the faults (default 0).")
    static let latencyOption = Option(long: "latency", valueName: "MS", help: "Delay every API answer by MS milliseconds, or by MIN-MAX drawn uniformly.")
    static let errorRateOption = Option(long: "error-rate", valueName: "P", help: "Answer this share (0 to 1) of generations with 500, 502 or 503.")
    static let tooManyRequestsRateOption = Option(long: "too-many-requests-rate", valueName: "P", help: "Answer this share of generations with 429 and Retry-After.")
    static let retryAfterOption = Option(long: "retry-after", valueName: "SECONDS", help: "The Retry-After of injected 429s (default 1).")
    static let resetRateOption = Option(long: "reset-rate", valueName: "P", help: "Reset the connection for this share of generations and downloads.")
    static let malformedRateOption = Option(long: "malformed-rate", valueName: "P", help: "Answer this share of generations with 200 and a body that breaks the docs' promise.")
    static let truncatedDownloadRateOption = Option(long: "truncated-download-rate", valueName: "P", help: "Send only half of this share of images.")
    static let slowDownloadRateOption = Option(long: "slow-download-rate", valueName: "P", help: "Send this share of images slowly (16 KiB every 50 ms).")
    static let corruptDownloadRateOption = Option(long: "corrupt-download-rate", valueName: "P", help: "Send this share of images whole but with damaged image data (their CRC fails).")
    static let bombDownloadRateOption = Option(long: "bomb-download-rate", valueName: "P", help: "Send a decompression bomb instead of this share of images (see --bomb-side).")
    static let bombSideOption = Option(long: "bomb-side", valueName: "N", help: "The side of the bomb, a PNG of one grey (default 8192: about 63 KB, 256 MiB decoded).")
    static let rateLimitOption = Option(long: "rate-limit", valueName: "N/SECONDS", help: "Allow each token N successful generations per SECONDS.")
    static let rateLimitStyleOption = Option(long: "rate-limit-style", valueName: "STYLE", help: "How the limit answers: 429 (with Retry-After, the default) or 403 (a message stating the limit).", completion: .values(["429", "403"]))
    package static let name = "visioncraft-emulator"
    package static let configuration = CommandConfiguration(
        abstract: "A local server that behaves like the VisionCraft API, AUTOMATIC1111's, OpenAI's images API or ComfyUI, for tests and offline use.",
        discussion: "Prints 'listening on http://HOST:PORT' once ready. SIGTERM or SIGINT stop it.",
        options: [
            Self.apiOption,
            Self.apiAuthOption,
            Self.a1111VersionOption,
            Self.stepTimeOption,
            Self.apiKeyOption,
            Self.quotaImagesOption,
            Self.loseHistoryOption,
            Self.stallQueueOption,
            Self.noWebSocketOption,
            Self.hostOption,
            Self.portOption,
            Self.tokenOption,
            Self.tokensFileOption,
            Self.seedOption,
            Self.latencyOption,
            Self.errorRateOption,
            Self.tooManyRequestsRateOption,
            Self.retryAfterOption,
            Self.resetRateOption,
            Self.malformedRateOption,
            Self.truncatedDownloadRateOption,
            Self.slowDownloadRateOption,
            Self.corruptDownloadRateOption,
            Self.bombDownloadRateOption,
            Self.bombSideOption,
            Self.rateLimitOption,
            Self.rateLimitStyleOption,
        ]
    )

    /// What to serve, configured.
    enum Settings {
        case visionCraft(VisionCraftEmulator.Configuration)
        case a1111(A1111Emulator.Configuration)
        case openAI(OpenAIEmulator.Configuration)
        case comfyUI(ComfyUIEmulator.Configuration)
    }

    let settings: Settings

    package init(_ arguments: ParsedArguments) throws {
        let api = try arguments.choice(Self.apiOption, from: Self.apis) ?? "visioncraft"
        let visionCraftOnly = [Self.tokenOption, Self.tokensFileOption, Self.rateLimitOption, Self.rateLimitStyleOption]
        let a1111Only = [Self.apiAuthOption, Self.a1111VersionOption]
        let openAIOnly = [Self.apiKeyOption, Self.quotaImagesOption]
        let comfyUIOnly = [Self.loseHistoryOption, Self.stallQueueOption, Self.noWebSocketOption]
        if api != "visioncraft", let option = visionCraftOnly.first(where: { arguments.value($0) != nil }) {
            let why =
                api == "a1111" ? "A1111 has no tokens or rate limit" : api == "comfyui" ? "ComfyUI has no authentication; its rate limit is --too-many-requests-rate" : "OpenAI's API takes Bearer keys: --api-key; its rate limit is --too-many-requests-rate"
            throw UsageError("option '--\(option.long)' applies to --api visioncraft only (\(why))")
        }
        if api != "a1111", let option = a1111Only.first(where: { arguments.value($0) != nil }) {
            throw UsageError("option '--\(option.long)' applies to --api a1111 only")
        }
        if api != "openai", let option = openAIOnly.first(where: { arguments.value($0) != nil }) {
            throw UsageError("option '--\(option.long)' applies to --api openai only")
        }
        if api != "comfyui", let option = comfyUIOnly.first(where: { arguments.flag($0) }) {
            throw UsageError("option '--\(option.long)' applies to --api comfyui only")
        }
        if !["a1111", "comfyui"].contains(api), arguments.value(Self.stepTimeOption) != nil {
            throw UsageError("option '--step-time' applies to --api a1111 or comfyui only")
        }
        switch api {
        case "a1111":
            settings = .a1111(try Self.a1111Settings(arguments))
            return
        case "openai":
            settings = .openAI(try Self.openAISettings(arguments))
            return
        case "comfyui":
            settings = .comfyUI(try Self.comfyUISettings(arguments))
            return
        default:
            break
        }
        var settings = VisionCraftEmulator.Configuration()
        settings.host = arguments.value(Self.hostOption) ?? "127.0.0.1"
        settings.port = UInt16(try arguments.int(Self.portOption, in: 0...65535) ?? 0)
        settings.seed = try Self.seed(arguments)
        var tokens = Set(arguments.values(Self.tokenOption))
        if let file = arguments.value(Self.tokensFileOption) {
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
        settings.faults = try Self.faults(arguments)
        self.settings = .visionCraft(settings)
    }

    /// `--api a1111`'s configuration.
    static func a1111Settings(_ arguments: ParsedArguments) throws -> A1111Emulator.Configuration {
        var settings = A1111Emulator.Configuration()
        settings.host = arguments.value(Self.hostOption) ?? "127.0.0.1"
        settings.port = UInt16(try arguments.int(Self.portOption, in: 0...65535) ?? 0)
        settings.seed = try seed(arguments)
        if let release = try arguments.choice(Self.a1111VersionOption, from: A1111Release.allCases.map(\.rawValue)) {
            settings.release = A1111Release(rawValue: release) ?? .v1_10
        }
        if let auth = arguments.value(Self.apiAuthOption) {
            // A1111 splits on "," then on ":", so neither may appear in a name or password.
            for pair in auth.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw UsageError("option '--api-auth' expects USER:PASSWORD pairs separated by commas, got '\(pair)'")
                }
                settings.credentials[String(parts[0])] = String(parts[1])
            }
        }
        if let milliseconds = try arguments.int(Self.stepTimeOption, in: 0...60000) { settings.stepDuration = .milliseconds(milliseconds) }
        settings.faults = try faults(arguments)
        return settings
    }

    /// `--api openai`'s configuration.
    static func openAISettings(_ arguments: ParsedArguments) throws -> OpenAIEmulator.Configuration {
        var settings = OpenAIEmulator.Configuration()
        settings.host = arguments.value(Self.hostOption) ?? "127.0.0.1"
        settings.port = UInt16(try arguments.int(Self.portOption, in: 0...65535) ?? 0)
        settings.seed = try seed(arguments)
        if let keys = arguments.value(Self.apiKeyOption) {
            let list = keys.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " ") }
            guard !list.contains(where: \.isEmpty) else { throw UsageError("option '--api-key' expects keys separated by commas, got '\(keys)'") }
            settings.apiKeys = Set(list)
        }
        settings.quotaImages = try arguments.int(Self.quotaImagesOption, in: 0...1_000_000_000)
        settings.faults = try faults(arguments)
        return settings
    }

    /// `--api comfyui`'s configuration.
    static func comfyUISettings(_ arguments: ParsedArguments) throws -> ComfyUIEmulator.Configuration {
        var settings = ComfyUIEmulator.Configuration()
        settings.host = arguments.value(Self.hostOption) ?? "127.0.0.1"
        settings.port = UInt16(try arguments.int(Self.portOption, in: 0...65535) ?? 0)
        settings.seed = try seed(arguments)
        if let milliseconds = try arguments.int(Self.stepTimeOption, in: 0...60000) { settings.stepDuration = .milliseconds(milliseconds) }
        settings.loseHistory = arguments.flag(Self.loseHistoryOption)
        settings.stallQueue = arguments.flag(Self.stallQueueOption)
        settings.webSocket = !arguments.flag(Self.noWebSocketOption)
        settings.faults = try faults(arguments)
        return settings
    }

    /// `--seed`, 0 when absent.
    static func seed(_ arguments: ParsedArguments) throws -> UInt64 {
        guard let seed = arguments.value(Self.seedOption) else { return 0 }
        guard let value = UInt64(seed) else { throw UsageError("option '--seed' expects a non-negative integer, got '\(seed)'") }
        return value
    }

    /// The fault flags, as the same changes `POST /_emulator/faults` takes.
    static func faults(_ arguments: ParsedArguments) throws -> FaultPlan {
        var changes = JSONObject()
        if let latency = arguments.value(Self.latencyOption) {
            let parts = latency.split(separator: "-").map { Int($0) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
                throw UsageError("option '--latency' expects milliseconds or MIN-MAX, got '\(latency)'")
            }
            changes["latency_ms"] = .array(parts.map { .number(JSONNumber($0!)) } + (parts.count == 1 ? [.number(JSONNumber(parts[0]!))] : []))
        }
        let rates = [
            (Self.errorRateOption, "server_error_rate"), (Self.tooManyRequestsRateOption, "too_many_requests_rate"), (Self.resetRateOption, "reset_rate"),
            (Self.malformedRateOption, "malformed_rate"), (Self.truncatedDownloadRateOption, "truncated_download_rate"),
            (Self.slowDownloadRateOption, "slow_download_rate"), (Self.corruptDownloadRateOption, "corrupt_download_rate"),
            (Self.bombDownloadRateOption, "bomb_download_rate"),
        ]
        for (flag, key) in rates {
            if let rate = try arguments.double(flag, in: 0...1) { changes[key] = .number(JSONNumber(rate)!) }
        }
        if let seconds = try arguments.int(Self.retryAfterOption, in: 0...3600) { changes["retry_after_seconds"] = .number(JSONNumber(seconds)) }
        if let side = try arguments.int(Self.bombSideOption, in: 1...FaultPlan.maximumBombSide) { changes["bomb_side"] = .number(JSONNumber(side)) }
        if let limit = arguments.value(Self.rateLimitOption) {
            let parts = limit.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let requests = parts[0], let seconds = parts[1], requests >= 1, seconds >= 1 else {
                throw UsageError("option '--rate-limit' expects N/SECONDS such as 2/60, got '\(limit)'")
            }
            changes["rate_limit"] = ["requests": .number(JSONNumber(requests)), "seconds": .number(JSONNumber(seconds))]
        }
        if let style = try arguments.choice(Self.rateLimitStyleOption, from: ["429", "403"]) { changes["rate_limit_style"] = .string(style) }
        do {
            return try FaultPlan().updated(with: .object(changes))
        } catch {
            throw UsageError(error.description)
        }
    }

    package func run(_ context: CommandContext) throws -> ExitCode {
        let (baseURL, stopServing): (String, () -> Void)
        do {
            switch settings {
            case .visionCraft(let configuration):
                let emulator = try VisionCraftEmulator(configuration: configuration)
                try emulator.start()
                (baseURL, stopServing) = (emulator.baseURL, emulator.stop)
            case .a1111(let configuration):
                let emulator = try A1111Emulator(configuration: configuration)
                try emulator.start()
                (baseURL, stopServing) = (emulator.baseURL, emulator.stop)
            case .openAI(let configuration):
                let emulator = try OpenAIEmulator(configuration: configuration)
                try emulator.start()
                (baseURL, stopServing) = (emulator.baseURL, emulator.stop)
            case .comfyUI(let configuration):
                let emulator = try ComfyUIEmulator(configuration: configuration)
                try emulator.start()
                (baseURL, stopServing) = (emulator.baseURL, emulator.stop)
            }
        } catch {
            throw CommandFailure("cannot listen on \(settings.address): \(error)", exitCode: .unavailable)
        }
        context.stdout.write("listening on \(baseURL)\n")
        let stop = ThreadCondition<Signal?>(nil)
        _ = try SignalWaiter([.terminate, .interrupt]) { signal in stop.update { $0 = signal } }
        stop.wait { $0 != nil }
        stopServing()
        return .success
    }

    /// The entry point: blocks the stop signals before any thread exists.
    package static func main(_ arguments: [String]) -> ExitCode {
        Signals.block([.terminate, .interrupt])
        Signals.ignoreBrokenPipe()
        return CommandLineTool.main(Self.self, arguments: arguments, context: .standard(), version: "0.1.0")
    }
}

extension EmulatorCommand.Settings {
    /// HOST:PORT as configured.
    var address: String {
        switch self {
        case .visionCraft(let configuration): "\(configuration.host):\(configuration.port)"
        case .a1111(let configuration): "\(configuration.host):\(configuration.port)"
        case .openAI(let configuration): "\(configuration.host):\(configuration.port)"
        case .comfyUI(let configuration): "\(configuration.host):\(configuration.port)"
        }
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
