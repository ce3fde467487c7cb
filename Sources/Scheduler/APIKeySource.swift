/// Where the scheduler gets the API key, and how it reports a rejected one.
/// The daemon's key vault implements it.
package protocol APIKeySource: Sendable {
    /// The key to send, or nil when none is set or the upstream rejected it
    /// (the queue then waits for `key.set`).
    func usableKey() -> String?
    /// The upstream refused `key`: remember why, until a new key is set.
    func reject(_ key: String, reason: String)
}
