/// The Retry-After windows an emulator's 429s opened, per key, and the
/// generations asked for inside one: what `GET /_emulator/stats` reports as
/// `early_requests`, for tests that a client waits a rate limit out.
struct RetryAfterWindows {
    /// How long after a 429 a request still counts as sent before the client
    /// could know (requests already on their way): not early.
    static let grace = 0.25

    private var windows: [String: (issued: Double, until: Double)] = [:]
    /// Generations asked for while a window was open, after the grace.
    private(set) var earlyRequests = 0

    /// A generation asked for by `key` at `now` (seconds since the start).
    mutating func request(from key: String, at now: Double) {
        if let window = windows[key], now > window.issued + Self.grace, now < window.until { earlyRequests += 1 }
    }

    /// A 429 answered to `key` at `now` that says to wait `seconds`.
    mutating func opened(for key: String, at now: Double, seconds: Double) {
        windows[key] = (now, now + seconds)
    }
}
