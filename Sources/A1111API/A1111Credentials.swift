import Backends
import Base64Coding

/// The backend's key as AUTOMATIC1111's `--api-auth user:password` takes
/// it: sent as HTTP Basic authentication, never logged, and scrubbed from
/// every text the server gives back in each form it travels in.
struct A1111Credentials: Sendable, Equatable {
    let key: String

    /// - Throws: `.keyRefused` when `key` has no `:` (the server splits
    ///   `--api-auth` there, so it could never match).
    init(_ key: String) throws(BackendFailure) {
        guard key.contains(":") else { throw .keyRefused(Self.form) }
        self.key = key
    }

    /// How the key is written, for every refusal of it.
    static let form = "the key of an a1111 backend is user:password, as the server's --api-auth has it (vcctl key set)"

    /// The `Authorization` header.
    var header: (name: String, value: String) {
        ("Authorization", "Basic " + Base64.encode(Array(key.utf8)))
    }

    /// The texts to scrub: the key, its password, its Basic encoding (a
    /// proxy may echo the header).
    var scrubbed: [String] {
        let password = key.firstIndex(of: ":").map { String(key[key.index(after: $0)...]) } ?? ""
        return [key, password, Base64.encode(Array(key.utf8))].filter { !$0.isEmpty }
    }
}
