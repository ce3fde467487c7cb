/// Counts successful generations per token in fixed windows (the service
/// limited successful requests per key).
struct RateLimiter: Sendable {
    private var windows: [String: (start: Double, count: Int)] = [:]

    /// Whether `token` may generate now; if not, the seconds until its window
    /// ends. Counts the request when allowed.
    mutating func admit(_ token: String, limit: FaultPlan.RateLimit, now: Double) -> Double? {
        var window = windows[token] ?? (now, 0)
        if now - window.start >= Double(limit.seconds) { window = (now, 0) }
        if window.count >= limit.requests {
            windows[token] = window
            return Double(limit.seconds) - (now - window.start)
        }
        window.count += 1
        windows[token] = window
        return nil
    }

    mutating func reset() {
        windows = [:]
    }
}
