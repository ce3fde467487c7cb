import HTTPServer
import Posix

/// A local server that behaves like ComfyUI's (server.py, execution.py):
/// `POST /prompt` validates an API-format graph of the standard nodes the
/// way `validate_prompt` does and queues it; one prompt runs at a time;
/// `/queue`, `/history`, `/view`, `/upload/image`, `/object_info`,
/// `/models`, `/interrupt` and `/system_stats` answer as ComfyUI's do, all
/// also under `/api/`; `/ws` tells a running prompt's progress. The fault
/// plan applies, and three ComfyUI faults: lost history, a queue that
/// never moves, and no websocket. What it leaves out (custom nodes,
/// previews) is listed in README ("The emulator").
package final class ComfyUIEmulator: ServedEmulator {
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port.
        package var port: UInt16
        /// Makes the pictures, the prompt ids and the faults reproducible.
        package var seed: UInt64
        /// How long each sampling step takes, so that a client sees its
        /// prompt queued, then running.
        package var stepDuration: Duration
        /// Drop each finished prompt's history entry: the prompt is then in
        /// neither the queue nor the history, as after a ComfyUI restart.
        package var loseHistory: Bool
        /// Queue prompts but never run them.
        package var stallQueue: Bool
        /// Serve `/ws`; when false it is a 404, as behind a proxy that
        /// passes no websockets.
        package var webSocket: Bool
        /// The faults at start (and after `POST /_emulator/reset`).
        package var faults: FaultPlan

        package init(
            host: String = "127.0.0.1", port: UInt16 = 0, seed: UInt64 = 0, stepDuration: Duration = .zero, loseHistory: Bool = false,
            stallQueue: Bool = false, webSocket: Bool = true, faults: FaultPlan = FaultPlan()
        ) {
            self.host = host
            self.port = port
            self.seed = seed
            self.stepDuration = stepDuration
            self.loseHistory = loseHistory
            self.stallQueue = stallQueue
            self.webSocket = webSocket
            self.faults = faults
        }
    }

    /// The largest request body taken (uploads): aiohttp's client_max_size
    /// as ComfyUI sets it by default (100 MB).
    package static let maximumBodyBytes = 100 << 20

    package let configuration: Configuration
    package let http: HTTPServer
    private let service: ComfyUIService
    package var api: any EmulatedAPI { service }

    /// Binds the emulator's port; `start()` serves.
    package init(configuration: Configuration = Configuration()) throws(SystemError) {
        self.configuration = configuration
        let service = ComfyUIService(configuration: configuration)
        self.service = service
        http = try Self.serve(service, host: configuration.host, port: configuration.port, maximumBodyBytes: Self.maximumBodyBytes)
    }
}
