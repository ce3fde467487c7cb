import HTTPServer
import Posix

/// A local server that behaves like the OpenAI images API (and the servers
/// that copy its shape): `POST /v1/images/generations`, `POST
/// /v1/images/edits` (multipart), `GET /v1/models`, Bearer keys, OpenAI's
/// error bodies, the billing quota, and the fault plan. URL answers are
/// served by the emulator itself under `/images/`. What it leaves out is
/// listed in README ("The emulator").
package final class OpenAIEmulator: ServedEmulator {
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port.
        package var port: UInt16
        /// The keys accepted; empty: any key or none, as local servers do.
        package var apiKeys: Set<String>
        /// The images the account may make before every generation is the
        /// billing 429 (`insufficient_quota`); nil: no quota.
        package var quotaImages: Int?
        /// Makes the pictures and the faults reproducible.
        package var seed: UInt64
        /// The faults at start (and after `POST /_emulator/reset`).
        package var faults: FaultPlan

        package init(
            host: String = "127.0.0.1", port: UInt16 = 0, apiKeys: Set<String> = [], quotaImages: Int? = nil, seed: UInt64 = 0,
            faults: FaultPlan = FaultPlan()
        ) {
            self.host = host
            self.port = port
            self.apiKeys = apiKeys
            self.quotaImages = quotaImages
            self.seed = seed
            self.faults = faults
        }
    }

    /// The largest request body taken: the API takes edit images of up to
    /// 50 MB each, the emulator a few of them.
    package static let maximumBodyBytes = 64 << 20

    package let configuration: Configuration
    package let http: HTTPServer
    private let service: OpenAIService
    package var api: any EmulatedAPI { service }

    /// Binds the emulator's port; `start()` serves.
    package init(configuration: Configuration = Configuration()) throws(SystemError) {
        self.configuration = configuration
        let service = OpenAIService(configuration: configuration)
        self.service = service
        http = try Self.serve(service, host: configuration.host, port: configuration.port, maximumBodyBytes: Self.maximumBodyBytes)
    }

    /// The images made so far (what the quota counts).
    package var imagesMade: Int { service.imagesMade }
}
