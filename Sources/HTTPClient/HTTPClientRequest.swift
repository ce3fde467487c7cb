/// A request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    /// Time limits; nil leaves libcurl's default.
    public struct Timeouts: Sendable, Equatable {
        /// To establish the connection (TCP and TLS).
        public var connect: Duration
        /// For the whole transfer.
        public var total: Duration
        /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedTime` is aborted.
        public var lowSpeedBytesPerSecond: Int
        public var lowSpeedTime: Duration

        public init(connect: Duration = .seconds(10), total: Duration = .seconds(120), lowSpeedBytesPerSecond: Int = 1, lowSpeedTime: Duration = .seconds(30)) {
            self.connect = connect
            self.total = total
            self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
            self.lowSpeedTime = lowSpeedTime
        }
    }

    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeouts: Timeouts
    /// A larger response is aborted with `.responseTooLarge`.
    public var maximumResponseBytes: Int
    /// Follow up to 5 redirects (for downloads from CDNs); off for API calls.
    /// Requests and redirects alike use http or https only.
    public var followRedirects: Bool

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeouts: Timeouts = Timeouts(),
        maximumResponseBytes: Int = 32 << 20,
        followRedirects: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maximumResponseBytes = maximumResponseBytes
        self.followRedirects = followRedirects
    }
}

/// A response: the status, the header fields of the final response, the body.
public struct HTTPClientResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// Why a transfer failed before a complete response arrived.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalidURL
        case couldNotResolve
        case couldNotConnect
        case timedOut
        /// The connection broke mid-way: reset, closed early, a truncated body.
        case connectionLost
        case tls
        case responseTooLarge
        /// A redirect pointed at a scheme other than http or https (ftp,
        /// file, ...), which is never followed.
        case redirectRefused
        case cancelled
        case other
    }

    public let kind: Kind
    /// libcurl's code (CURLcode), 0 when not from libcurl.
    public let code: Int32
    /// What libcurl said, for people. Never contains a request body.
    public let message: String

    public init(kind: Kind, code: Int32, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
