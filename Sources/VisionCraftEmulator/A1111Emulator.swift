import HTTPServer
import Posix

/// A local server that behaves like AUTOMATIC1111's web UI API (1.10, or
/// 1.8 on request; modules/api/api.py): txt2img and img2img answering base64 PNGs with
/// their infotexts, the model, sampler and scheduler lists, progress and
/// options, one generation at a time, A1111's errors, optional HTTP Basic
/// auth, and the fault plan. What it leaves out is listed in README ("The
/// emulator").
package final class A1111Emulator: ServedEmulator {
    package struct Configuration: Sendable {
        /// Which release's behaviour: 1.10 (the default) or 1.8, from before
        /// schedulers were separate.
        package var release: A1111Release
        package var host: String
        /// 0 picks a free port.
        package var port: UInt16
        /// `--api-auth`'s users and passwords; empty: no authentication.
        package var credentials: [String: String]
        /// Makes seed -1's seeds and the faults reproducible.
        package var seed: UInt64
        /// How long each sampling step takes (`steps` x `n_iter` of them per
        /// request), so that /progress moves and requests queue; zero: none.
        package var stepDuration: Duration
        /// The pixels (width x height x images) one request may make: more is
        /// CUDA's out-of-memory error.
        package var memoryPixels: Int
        /// The faults at start (and after `POST /_emulator/reset`).
        package var faults: FaultPlan

        package init(
            release: A1111Release = .v1_10, host: String = "127.0.0.1", port: UInt16 = 0, credentials: [String: String] = [:], seed: UInt64 = 0,
            stepDuration: Duration = .zero, memoryPixels: Int = 2048 * 2048 * 4, faults: FaultPlan = FaultPlan()
        ) {
            self.release = release
            self.host = host
            self.port = port
            self.credentials = credentials
            self.seed = seed
            self.stepDuration = stepDuration
            self.memoryPixels = memoryPixels
            self.faults = faults
        }
    }

    /// The largest request body taken (more is a 413).
    package static let maximumBodyBytes = 64 << 20

    package let configuration: Configuration
    package let http: HTTPServer
    private let service: A1111Service
    package var api: any EmulatedAPI { service }

    /// Binds the emulator's port; `start()` serves.
    package init(configuration: Configuration = Configuration()) throws(SystemError) {
        self.configuration = configuration
        let service = A1111Service(configuration: configuration)
        self.service = service
        // Uvicorn sets no body limit; init images come in base64 (a 2048 x
        // 2048 PNG is some 15 MB of it), so the emulator allows more than the
        // HTTP server's default.
        http = try Self.serve(service, host: configuration.host, port: configuration.port, maximumBodyBytes: Self.maximumBodyBytes)
    }

    /// The most generations that ran at once (1: the queue held) and the
    /// most requests that waited for one at once.
    package var concurrency: (peakRunning: Int, peakWaiting: Int) { service.concurrency }
}
