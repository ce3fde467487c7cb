import CCurlShim
import CLibCurl
import Posix
import Synchronization

/// The thread that runs libcurl's multi interface for an `HTTPClient`.
///
/// Other threads hand transfers and cancellations over through locked queues
/// and wake the thread with `curl_multi_wakeup`; everything else about the
/// multi handle happens on this thread only.
final class CurlDriver: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let tls: HTTPClient.TLS
    private let userAgent: String
    private let incoming = Lock<[CurlTransfer]>([])
    private let cancellations = Lock<[CurlTransfer]>([])
    private let stopping = Atomic<Bool>(false)
    private var thread: OSThread?

    // Driver-thread state.
    private var active: [UInt: CurlTransfer] = [:]

    init(tls: HTTPClient.TLS, userAgent: String) throws(HTTPClientError) {
        guard let multi = ccurl_multi_init_close_on_exec() else {
            throw HTTPClientError(kind: .other, code: 0, message: "curl_multi_init failed")
        }
        self.multi = multi
        self.tls = tls
        self.userAgent = userAgent
        ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8)
        do {
            thread = try OSThread.spawn(name: "vc-curl", stackSize: 1 << 20) { [self] in run() }
        } catch {
            curl_multi_cleanup(multi)
            throw HTTPClientError(kind: .other, code: 0, message: "cannot start the HTTP thread: \(error)")
        }
    }

    /// Prepares an easy handle for `request`.
    func makeTransfer(_ request: HTTPClientRequest) throws(HTTPClientError) -> CurlTransfer {
        guard let easy = curl_easy_init() else {
            throw HTTPClientError(kind: .other, code: 0, message: "curl_easy_init failed")
        }
        let transfer = CurlTransfer(easy: easy, maximumResponseBytes: request.maximumResponseBytes)
        ccurl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, transfer.errorBuffer)
        guard ccurl_setopt_string(easy, CURLOPT_URL, request.url) == CURLE_OK else {
            throw HTTPClientError(kind: .invalidURL, code: Int32(CURLE_URL_MALFORMAT.rawValue), message: "not a URL libcurl accepts: \(request.url)")
        }
        guard ccurl_allow_only_http(easy) == CURLE_OK else {
            throw HTTPClientError(kind: .other, code: 0, message: "this libcurl cannot be limited to http and https (CURLOPT_PROTOCOLS_STR)")
        }
        guard ccurl_open_sockets_close_on_exec(easy) == CURLE_OK else {
            throw HTTPClientError(kind: .other, code: 0, message: "this libcurl cannot open its sockets close-on-exec (CURLOPT_OPENSOCKETFUNCTION)")
        }
        ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_string(easy, CURLOPT_USERAGENT, userAgent)
        ccurl_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect.roundedUpMilliseconds))
        ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(request.timeouts.total.roundedUpMilliseconds))
        ccurl_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, request.timeouts.lowSpeedBytesPerSecond)
        ccurl_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, Int(request.timeouts.lowSpeedTime.roundedUpMilliseconds / 1000)))
        if request.followRedirects {
            ccurl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1)
            ccurl_setopt_long(easy, CURLOPT_MAXREDIRS, 5)
        }
        if !tls.verify {
            ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let caFile = tls.caFile { ccurl_setopt_string(easy, CURLOPT_CAINFO, caFile) }
        switch request.method {
        case "GET": break
        case "POST": ccurl_setopt_long(easy, CURLOPT_POST, 1)
        case "HEAD": ccurl_setopt_long(easy, CURLOPT_NOBODY, 1)
        default: ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            ccurl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            // libcurl copies the body: nothing of ours must outlive this call.
            body.withUnsafeBytes { bytes in
                _ = ccurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        // No "Expect: 100-continue" round trip for small JSON bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        transfer.headerList = list
        ccurl_setopt_pointer(easy, CURLOPT_HTTPHEADER, list)
        ccurl_collect_into(easy, transfer.sink)
        return transfer
    }

    /// Hands a transfer to the driver thread (any thread).
    func submit(_ transfer: CurlTransfer) {
        if stopping.load(ordering: .acquiring) {
            transfer.finish(.failure(HTTPClientError(kind: .cancelled, code: 0, message: "the HTTP client is shut down")))
            return
        }
        incoming.withLock { $0.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Asks the driver thread to abort a transfer (any thread).
    func cancel(_ transfer: CurlTransfer) {
        cancellations.withLock { $0.append(transfer) }
        curl_multi_wakeup(multi)
    }

    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        curl_multi_wakeup(multi)
        thread?.join()
    }

    // MARK: Driver thread

    private func run() {
        var running: Int32 = 0
        while !stopping.load(ordering: .acquiring) {
            for transfer in incoming.withLock({ queue in defer { queue.removeAll() }; return queue }) {
                active[UInt(bitPattern: transfer.easy)] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            }
            for transfer in cancellations.withLock({ queue in defer { queue.removeAll() }; return queue }) {
                guard active.removeValue(forKey: UInt(bitPattern: transfer.easy)) != nil else {
                    // Not started yet (still queued) or already done.
                    transfer.finish(.failure(HTTPClientError(kind: .cancelled, code: 0, message: "cancelled")))
                    continue
                }
                curl_multi_remove_handle(multi, transfer.easy)
                transfer.finish(.failure(HTTPClientError(kind: .cancelled, code: 0, message: "cancelled")))
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                guard let transfer = active.removeValue(forKey: UInt(bitPattern: easy)) else { continue }
                transfer.finish(outcome(of: transfer, result))
            }
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
        // Shutting down: everything still queued or running is cancelled.
        let remaining = Array(active.values) + incoming.withLock { queue in defer { queue.removeAll() }; return queue }
        for transfer in remaining {
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.finish(.failure(HTTPClientError(kind: .cancelled, code: 0, message: "the HTTP client is shut down")))
        }
        active.removeAll()
        curl_multi_cleanup(multi)
    }

    private func outcome(of transfer: CurlTransfer, _ code: CURLcode) -> Result<HTTPClientResponse, HTTPClientError> {
        if code == CURLE_OK { return .success(transfer.response()) }
        let summary = String(cString: curl_easy_strerror(code))
        let detail = transfer.detail
        let message = detail.isEmpty ? summary : "\(summary): \(detail)"
        let kind: HTTPClientError.Kind
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL where transfer.redirectCount > 0: kind = .redirectRefused
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .couldNotResolve
        case CURLE_COULDNT_CONNECT: kind = .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE: kind = .connectionLost
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE:
            kind = .tls
        case CURLE_WRITE_ERROR where transfer.exceededLimit: kind = .responseTooLarge
        default: kind = .other
        }
        let text: String
        switch kind {
        case .responseTooLarge: text = "the response is larger than the limit of \(transfer.sink.pointee.body_limit) bytes"
        case .redirectRefused: text = "a redirect led to a scheme other than http and https, which is never followed (libcurl: \(detail.isEmpty ? summary : detail))"
        default: text = message
        }
        return .failure(HTTPClientError(kind: kind, code: Int32(code.rawValue), message: text))
    }
}
