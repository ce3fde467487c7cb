/// Where the scheduler gets the API key, and how it reports a rejected one.
/// The daemon's key vault implements it.
package protocol APIKeySource: Sendable {
    /// The key to send to backend `backend`, or nil when none is set for it
    /// or the backend rejected it (its jobs then wait for `key.set`, if it
    /// needs one). Each backend has its own: one's is never sent to another.
    func usableKey(for backend: String) -> String?
    /// Backend `backend` refused `key`: remember why, until a new key is set.
    func reject(_ key: String, reason: String, for backend: String)
}
