import Backends
import HTTPClient
import Posix
import VisionCraftAPI
import VisionCraftEmulator
import VisionCraftProtocol

/// The upstream the daemon talks to, running: its backend over the HTTP
/// client and, for `--upstream emulator`, the emulator serving on a loopback
/// port inside the daemon.
final class Upstream: Sendable {
    /// What `daemon.status` reports.
    let summary: DaemonStatus.Upstream
    let backend: any ImageBackend
    private let http: HTTPClient
    private let emulator: VisionCraftEmulator?

    private init(summary: DaemonStatus.Upstream, backend: any ImageBackend, http: HTTPClient, emulator: VisionCraftEmulator?) {
        self.summary = summary
        self.backend = backend
        self.http = http
        self.emulator = emulator
    }

    /// Starts the emulator if selected and builds the backend. Logs, once, that
    /// TLS verification is off when the options say so.
    ///
    /// The embedded emulator keeps its port across restarts when it can
    /// (remembered in `emulatorPortFile`): image URLs it handed out before a
    /// crash must still download after it.
    static func start(
        _ selection: UpstreamSelection, options: DaemonOptions, log: Logger, emulatorPortFile: String? = nil
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
        let baseURL: String
        switch selection {
        case .service(let url):
            baseURL = url
        case .emulator:
            do {
                let embedded = try startEmulator(options: options, portFile: emulatorPortFile, log: log)
                emulator = embedded
                baseURL = embedded.baseURL
            } catch {
                http.shutdown()
                throw DaemonError(.system, "cannot start the embedded emulator: \(error)")
            }
        }
        if !options.settings.tlsVerify {
            log.warning("TLS certificate verification is off (--insecure): anyone between this machine and \(baseURL) can read the API key and the prompts")
        }
        let client = VisionCraftClient(
            configuration: .init(baseURL: baseURL, timeouts: options.upstreamTimeouts),
            http: http
        )
        log.info("upstream: \(emulator == nil ? baseURL : "embedded emulator on \(baseURL)")")
        return Upstream(
            summary: .init(url: baseURL, emulator: emulator != nil), backend: VisionCraftBackend(client: client), http: http, emulator: emulator
        )
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
    }
}
