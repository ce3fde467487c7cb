import CCurlShim
import CLibCurl
import Posix

/// An HTTP client over libcurl's multi interface, driven by a thread of its
/// own: requests from any task share one event loop and one connection cache
/// (keep-alive, reuse), and no request ever blocks Swift's cooperative pool.
/// Proxy variables (`http_proxy`, `https_proxy`, `no_proxy`) are honoured as
/// curl honours them.
public final class HTTPClient: Sendable {
    /// TLS verification.
    public struct TLS: Sendable, Equatable {
        /// Check the server's certificate and name (the default).
        public var verify: Bool
        /// A CA bundle to trust instead of the system's.
        public var caFile: String?

        public init(verify: Bool = true, caFile: String? = nil) {
            self.verify = verify
            self.caFile = caFile
        }
    }

    public let tls: TLS
    private let userAgent: String
    /// Started on the first request, so that a client nobody uses yet (a
    /// daemon at rest) costs neither libcurl's initialisation nor a thread.
    private let driverState = Lock<DriverState>(.notStarted)

    private enum DriverState {
        case notStarted
        case running(CurlDriver)
        case shutDown
    }

    /// A client; libcurl and the driver thread start with the first request.
    public init(tls: TLS = TLS(), userAgent: String = "visioncraft") throws(HTTPClientError) {
        self.tls = tls
        self.userAgent = userAgent
    }

    deinit {
        shutdown()
    }

    /// Performs a request. A non-2xx status is a response, not an error;
    /// errors are for transfers that did not complete. Cancelling the task
    /// aborts the transfer.
    public func perform(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let driver = try self.driver()
        let transfer = try driver.makeTransfer(request)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation.withLock { $0 = continuation }
                driver.submit(transfer)
            }
        } onCancel: {
            driver.cancel(transfer)
        }
        return try outcome.get()
    }

    /// Whether the driver thread has started (for tests).
    public var isStarted: Bool {
        driverState.withLock { if case .running = $0 { true } else { false } }
    }

    /// Stops the driver thread; transfers in flight end with `.cancelled`,
    /// and later requests fail with `.cancelled`.
    public func shutdown() {
        let previous = driverState.withLock { state in
            defer { state = .shutDown }
            return state
        }
        if case .running(let driver) = previous { driver.stop() }
    }

    /// The driver, started on first use.
    private func driver() throws(HTTPClientError) -> CurlDriver {
        try driverState.withLock { (state) throws(HTTPClientError) -> CurlDriver in
            switch state {
            case .running(let driver):
                return driver
            case .shutDown:
                throw HTTPClientError(kind: .cancelled, code: 0, message: "the HTTP client is shut down")
            case .notStarted:
                guard curlGlobalInitialization == CURLE_OK else {
                    throw HTTPClientError(kind: .other, code: Int32(curlGlobalInitialization.rawValue), message: "libcurl could not initialise")
                }
                let driver = try CurlDriver(tls: tls, userAgent: userAgent)
                state = .running(driver)
                return driver
            }
        }
    }
}

/// libcurl's global initialisation, once, before any thread uses it.
private let curlGlobalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
