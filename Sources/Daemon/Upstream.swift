import A1111API
import Backends
import ComfyUIAPI
import Configuration
import HTTPClient
import Jobs
import OpenAIAPI
import Posix
import Scheduler
import VisionCraftAPI
import VisionCraftEmulator
import VisionCraftProtocol

/// The backends the daemon talks to, running: each over the one HTTP
/// client and, for a backend whose URL is `emulator`, the emulator of its
/// kind serving on a loopback port inside the daemon (one of each kind,
/// shared).
final class Upstream: Sendable {
    /// One backend, running.
    struct Running: Sendable {
        let name: String
        let kind: BackendSettings.Kind
        /// What `daemon.status` and `backends.list` report.
        let summary: DaemonStatus.Upstream
        let backend: any ImageBackend
        /// Its jobs at once, and generations a minute (resolved).
        let maximumInFlight: Int
        let requestsPerMinute: Int
        /// The most images a day and a month.
        let caps: ImageCaps
        /// Its retry policy: the queue's, with its own attempts and base.
        let retry: RetryPolicy
    }

    /// In the configuration's order.
    let backends: [Running]
    /// The one jobs that name none go to.
    let defaultBackend: Running
    private let http: HTTPClient
    private let emulator: VisionCraftEmulator?
    private let a1111Emulator: A1111Emulator?
    private let openAIEmulator: OpenAIEmulator?
    private let comfyUIEmulator: ComfyUIEmulator?

    /// The default backend's summary (`daemon.status`).
    var summary: DaemonStatus.Upstream { defaultBackend.summary }
    /// The default backend.
    var backend: any ImageBackend { defaultBackend.backend }

    private init(
        backends: [Running], defaultName: String, http: HTTPClient, emulator: VisionCraftEmulator?, a1111Emulator: A1111Emulator?,
        openAIEmulator: OpenAIEmulator?, comfyUIEmulator: ComfyUIEmulator?
    ) {
        self.backends = backends
        defaultBackend = backends.first { $0.name == defaultName } ?? backends[0]
        self.http = http
        self.emulator = emulator
        self.a1111Emulator = a1111Emulator
        self.openAIEmulator = openAIEmulator
        self.comfyUIEmulator = comfyUIEmulator
    }

    /// The backend named `name`.
    func backend(named name: String) -> Running? {
        backends.first { $0.name == name }
    }

    /// The one VisionCraft backend `selection` names, as a daemon whose
    /// configuration names no backends runs it.
    static func start(
        _ selection: UpstreamSelection, options: DaemonOptions, keys: KeyRing? = nil, log: Logger, emulatorPortFile: String? = nil
    ) throws(DaemonError) -> Upstream {
        try start(
            [BackendPlan(name: JobField.implicitBackend, kind: .visioncraft, selection: selection)], defaultName: JobField.implicitBackend,
            options: options, keys: keys, log: log, emulatorPortFile: emulatorPortFile
        )
    }

    /// Starts the emulator if a backend selects it and builds every
    /// backend. Logs, once, that TLS verification is off when the options
    /// say so.
    ///
    /// The embedded emulator keeps its port across restarts when it can
    /// (remembered in `emulatorPortFile`): image URLs it handed out before a
    /// crash must still download after it.
    /// - Parameter keys: where a backend finds its key for the requests
    ///   that are not generations (AUTOMATIC1111's lists, behind
    ///   `--api-auth`).
    static func start(
        _ plans: [BackendPlan], defaultName: String, options: DaemonOptions, keys: KeyRing? = nil, log: Logger, emulatorPortFile: String? = nil
    ) throws(DaemonError) -> Upstream {
        if let caFile = options.settings.caFile {
            guard (try? FileSystem.status(caFile)) != nil else {
                throw DaemonError(.configuration, "--ca-file \(caFile): no such file")
            }
        }
        let http: HTTPClient
        do {
            http = try HTTPClient(tls: .init(verify: options.settings.tlsVerify, caFile: options.settings.caFile), userAgent: "visioncraftd/\(VisionCraftVersion.current)")
        } catch {
            throw DaemonError(.system, "cannot start the HTTP client: \(error)")
        }
        var emulator: VisionCraftEmulator?
        var a1111Emulator: A1111Emulator?
        var openAIEmulator: OpenAIEmulator?
        var comfyUIEmulator: ComfyUIEmulator?
        do {
            if plans.contains(where: { $0.selection == .emulator && $0.kind == .visioncraft }) {
                emulator = try startEmulator(options: options, portFile: emulatorPortFile, log: log)
            }
            if plans.contains(where: { $0.selection == .emulator && $0.kind == .a1111 }) {
                // Its images travel in its answers: no URL has to outlive a
                // restart, so any free port does.
                let started = try A1111Emulator(configuration: .init(faults: options.emulatorFaults))
                try started.start()
                a1111Emulator = started
            }
            if plans.contains(where: { $0.selection == .emulator && $0.kind == .openai }) {
                // Its local model's URLs die with the daemon: a restart makes
                // those images again.
                let started = try OpenAIEmulator(configuration: .init(faults: options.emulatorFaults))
                try started.start()
                openAIEmulator = started
            }
            if plans.contains(where: { $0.selection == .emulator && $0.kind == .comfyui }) {
                // Its queue and history live in memory, as ComfyUI's do: a
                // restart of the daemon loses them, and its jobs are made again.
                let started = try ComfyUIEmulator(configuration: .init(faults: options.emulatorFaults))
                try started.start()
                comfyUIEmulator = started
            }
        } catch {
            http.shutdown()
            emulator?.stop()
            a1111Emulator?.stop()
            throw DaemonError(.system, "cannot start the embedded emulator: \(error)")
        }
        var running: [Running] = []
        for plan in plans {
            let baseURL: String
            switch plan.selection {
            case .service(let url): baseURL = url
            case .emulator:
                switch plan.kind {
                case .visioncraft: baseURL = emulator?.baseURL ?? ""
                case .a1111: baseURL = a1111Emulator?.baseURL ?? ""
                case .openai: baseURL = openAIEmulator?.baseURL ?? ""
                case .comfyui: baseURL = comfyUIEmulator?.baseURL ?? ""
                }
            }
            let backend: any ImageBackend
            switch plan.kind {
            case .visioncraft:
                backend = VisionCraftBackend(client: VisionCraftClient(configuration: .init(baseURL: baseURL, timeouts: options.upstreamTimeouts), http: http))
            case .comfyui:
                // ComfyUI has no authentication: no key goes to it.
                backend = ComfyUIBackend(client: ComfyUIClient(
                    configuration: .init(baseURL: baseURL, timeouts: options.upstreamTimeouts, workflow: plan.workflow), http: http
                ))
            case .openai:
                let name = plan.name
                backend = OpenAIBackend(client: OpenAIClient(
                    configuration: .init(baseURL: baseURL, timeouts: options.upstreamTimeouts), http: http,
                    catalogKey: { [keys] in keys?.usableKey(for: name) }
                ))
            case .a1111:
                let name = plan.name
                backend = A1111Backend(client: A1111Client(
                    configuration: .init(baseURL: baseURL, timeouts: options.upstreamTimeouts), http: http,
                    catalogKey: { [keys] in keys?.usableKey(for: name) }
                ))
            }
            let implicit = plans.count == 1 && plan.name == JobField.implicitBackend
            running.append(Running(
                name: plan.name, kind: plan.kind, summary: .init(url: baseURL, emulator: plan.selection == .emulator), backend: backend,
                maximumInFlight: plan.maximumInFlight ?? (implicit || plan.kind == .visioncraft ? options.settings.maxInFlight : backend.description.defaultConcurrency),
                requestsPerMinute: plan.requestsPerMinute ?? options.settings.requestsPerMinute, caps: plan.caps,
                retry: Self.retryPolicy(plan, options: options)
            ))
            log.info("backend \(plan.name) (\(plan.kind.rawValue)): \(plan.selection == .emulator ? "embedded emulator on \(baseURL)" : baseURL)")
        }
        if !options.settings.tlsVerify {
            let urls = running.filter { !$0.summary.emulator }.map(\.summary.url).joined(separator: ", ")
            log.warning("TLS certificate verification is off (--insecure): anyone between this machine and \(urls) can read the API key and the prompts")
        }
        return Upstream(
            backends: running, defaultName: defaultName, http: http, emulator: emulator, a1111Emulator: a1111Emulator, openAIEmulator: openAIEmulator,
            comfyUIEmulator: comfyUIEmulator
        )
    }

    /// The queue's retry policy with what `plan` sets of its own.
    private static func retryPolicy(_ plan: BackendPlan, options: DaemonOptions) -> RetryPolicy {
        var policy = RetryPolicy(settings: options.settings)
        if let attempts = plan.maxAttempts { policy.maximumAttempts = attempts }
        if let base = plan.retryBase { policy.base = Settings.duration(base) }
        return policy
    }

    /// Starts the emulator on the remembered port, else on a free one, and
    /// remembers the port.
    private static func startEmulator(options: DaemonOptions, portFile: String?, log: Logger) throws -> VisionCraftEmulator {
        let remembered = portFile.flatMap { try? FileSystem.readFile($0, limit: 16) }
            .flatMap { UInt16(String(decoding: $0, as: UTF8.self).filter(\.isNumber)) }
        var embedded: VisionCraftEmulator?
        if let remembered {
            embedded = try? VisionCraftEmulator(configuration: .init(host: "127.0.0.1", port: remembered, faults: options.emulatorFaults))
            if embedded == nil { log.info("the emulator's port \(remembered) is taken; image URLs from before cannot be downloaded and are made again") }
        }
        let emulator = try embedded ?? VisionCraftEmulator(configuration: .init(host: "127.0.0.1", port: 0, faults: options.emulatorFaults))
        try emulator.start()
        if let portFile, emulator.port != remembered {
            try? FileSystem.writeFileAtomically(portFile, Array("\(emulator.port)\n".utf8))
        }
        return emulator
    }

    /// Stops the client's thread (transfers in flight end) and the emulator.
    func stop() {
        http.shutdown()
        emulator?.stop()
        a1111Emulator?.stop()
        openAIEmulator?.stop()
        comfyUIEmulator?.stop()
    }
}
