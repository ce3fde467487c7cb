import Posix

/// The keys a backend's client has sent, most recent last: a service may
/// echo a key on a later request too (a list, a download), so every answer
/// is scrubbed of each (`UpstreamText`). A `key.set` replaces the key; a
/// few back cover answers still on their way.
package final class SentKeys: Sendable {
    private let keys = Lock<[String]>([])
    /// How many keys are remembered.
    package static let remembered = 4

    package init() {}

    /// Every key to scrub from an answer: `key` (about to be sent, or just
    /// sent) joins the ones sent before.
    package func including(_ key: String?) -> [String] {
        keys.withLock { keys in
            if let key, keys.last != key {
                keys.removeAll { $0 == key }
                keys.append(key)
                if keys.count > Self.remembered { keys.removeFirst(keys.count - Self.remembered) }
            }
            return keys
        }
    }
}
