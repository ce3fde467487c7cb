import CCurlShim
import CLibCurl
import Posix
import Synchronization

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
    private let driver: CurlDriver

    /// Starts the driver thread.
    public init(tls: TLS = TLS(), userAgent: String = "visioncraft") throws(HTTPClientError) {
        guard curlGlobalInitialization == CURLE_OK else {
            throw HTTPClientError(kind: .other, code: Int32(curlGlobalInitialization.rawValue), message: "libcurl could not initialise")
        }
        self.tls = tls
        driver = try CurlDriver(tls: tls, userAgent: userAgent)
    }

    deinit {
        driver.stop()
    }

    /// Performs a request. A non-2xx status is a response, not an error;
    /// errors are for transfers that did not complete. Cancelling the task
    /// aborts the transfer.
    public func perform(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
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

    /// Stops the driver thread; transfers in flight end with `.cancelled`.
    public func shutdown() {
        driver.stop()
    }
}

/// libcurl's global initialisation, once, before any thread uses it.
private let curlGlobalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
