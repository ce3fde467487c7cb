/// Where the scheduler gets the API key, and how it reports a rejected one.
/// The daemon's key vault implements it.
package protocol APIKeySource: Sendable {
    /// The key to send to backend `backend`, or nil when none is set for it
    /// or the backend rejected it (its jobs then wait for `key.set`, if it
    /// needs one). Each backend has its own: one's is never sent to another.
    func usableKey(for backend: String) -> String?
    /// Backend `backend` refused `key`: remember why, until a new key is set.
    func reject(_ key: String, reason: String, for backend: String)
    /// Whether `backend` has a key it refused (its jobs then wait for a new
    /// one, even on a backend that can work without a key).
    func hasRefusedKey(for backend: String) -> Bool
}

extension APIKeySource {
    /// Whether jobs on `lane` can be sent now as far as keys go: it has a
    /// usable key, or needs none and has not refused one.
    func keyAllows(_ lane: BackendLane) -> Bool {
        usableKey(for: lane.name) != nil || (!lane.needsKey && !hasRefusedKey(for: lane.name))
    }
}
