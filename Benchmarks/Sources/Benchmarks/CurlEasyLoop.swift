import CCurlShim
import CLibCurl
import Posix

/// libcurl at its simplest, as a middle rung between the load generator's
/// bare socket and `VisionCraftClient`: one easy handle, reused, blocking
/// `curl_easy_perform` calls on the calling thread, no thread hops.
enum CurlEasyLoop {
    /// Sequential POSTs of `body` to `url` for `duration` (after a warm-up);
    /// the latency of each call in microseconds.
    static func measure(url: String, body: String, duration: Duration) throws -> (latencies: [Double], seconds: Double) {
        guard let easy = curl_easy_init() else { throw BenchmarkError("curl_easy_init failed") }
        defer { curl_easy_cleanup(easy) }
        let sink = UnsafeMutablePointer<ccurl_sink>.allocate(capacity: 1)
        sink.initialize(to: ccurl_sink())
        sink.pointee.body_limit = 1 << 20
        defer {
            ccurl_sink_free(sink)
            sink.deallocate()
        }
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        ccurl_setopt_string(easy, CURLOPT_URL, url)
        ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(easy, CURLOPT_POST, 1)
        ccurl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.utf8.count))
        ccurl_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, body)
        ccurl_setopt_pointer(easy, CURLOPT_HTTPHEADER, headers)
        ccurl_collect_into(easy, sink)

        func call() throws {
            sink.pointee.body_length = 0
            sink.pointee.headers_length = 0
            let code = curl_easy_perform(easy)
            guard code == CURLE_OK else { throw BenchmarkError("libcurl: \(String(cString: curl_easy_strerror(code)))") }
        }
        let warmup = MonotonicInstant.now()
        while warmup.elapsed < .milliseconds(500) { try call() }
        var latencies: [Double] = []
        let start = MonotonicInstant.now()
        while start.elapsed < duration {
            let began = MonotonicInstant.now()
            try call()
            latencies.append(Double(began.elapsed.nanoseconds) / 1000)
        }
        return (latencies, start.elapsed.seconds)
    }
}
