import CCurlShim
import CLibCurl
import Posix
import Synchronization

/// One request in flight: the easy handle, its buffers, and the continuation
/// to resume. Touched by the driver thread, except `continuation`, which the
/// submitting task sets under its lock.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let sink: UnsafeMutablePointer<ccurl_sink>
    let errorBuffer: UnsafeMutablePointer<CChar>
    var headerList: UnsafeMutablePointer<curl_slist>?
    let continuation = Lock<CheckedContinuation<Result<HTTPClientResponse, HTTPClientError>, Never>?>(nil)
    private let finished = Atomic<Bool>(false)

    init(easy: UnsafeMutableRawPointer, maximumResponseBytes: Int) {
        self.easy = easy
        sink = .allocate(capacity: 1)
        sink.initialize(to: ccurl_sink())
        sink.pointee.body_limit = maximumResponseBytes
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        ccurl_sink_free(sink)
        sink.deallocate()
        errorBuffer.deallocate()
        if let headerList { curl_slist_free_all(headerList) }
        curl_easy_cleanup(easy)
    }

    /// Resumes the waiting task once (later calls are ignored).
    func finish(_ outcome: Result<HTTPClientResponse, HTTPClientError>) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let waiting = continuation.withLock { current in
            defer { current = nil }
            return current
        }
        waiting?.resume(returning: outcome)
    }

    /// The response collected by the callbacks.
    func response() -> HTTPClientResponse {
        var status = 0
        ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let body = sink.pointee.body_length > 0 ? Array(UnsafeBufferPointer(start: sink.pointee.body, count: sink.pointee.body_length)) : []
        return HTTPClientResponse(status: status, headers: finalHeaders(), body: body)
    }

    /// Whether the body outgrew the limit (the transfer was aborted for it).
    var exceededLimit: Bool { sink.pointee.over_limit != 0 }

    /// How many redirects libcurl followed before the transfer ended.
    var redirectCount: Int {
        var count = 0
        ccurl_getinfo_long(easy, CURLINFO_REDIRECT_COUNT, &count)
        return count
    }

    /// What libcurl wrote in the error buffer.
    var detail: String {
        String(decoding: UnsafeBufferPointer(start: errorBuffer, count: strlen(errorBuffer)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The header fields of the last response (after 100 Continue or redirects).
    ///
    /// Parsed as bytes: in a Swift String "\r\n" is one Character, so
    /// splitting text on "\n" would never find a CRLF line end.
    private func finalHeaders() -> [(name: String, value: String)] {
        guard let raw = sink.pointee.headers, sink.pointee.headers_length > 0 else { return [] }
        let bytes = UnsafeRawBufferPointer(start: raw, count: sink.pointee.headers_length)
        var blocks: [[ArraySlice<UInt8>]] = [[]]
        for line in Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false) {
            let trimmed = line.last == 0x0D ? line.dropLast() : line
            if trimmed.isEmpty {
                if !(blocks.last?.isEmpty ?? true) { blocks.append([]) }
            } else {
                blocks[blocks.count - 1].append(trimmed)
            }
        }
        let last = blocks.last(where: { !$0.isEmpty }) ?? []
        return last.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let value = line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            return (String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
    }
}

