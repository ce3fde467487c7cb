/// A revision of the Model Context Protocol this server speaks.
///
/// Two eras: the legacy revisions open a session with `initialize`; the
/// modern ones have no handshake and carry the version and the client's
/// capabilities in every request's `_meta` (2026-07-28, "Versioning and
/// Compatibility").
public enum MCPProtocolVersion: String, CaseIterable, Sendable, Comparable {
    case june2025 = "2025-06-18"
    case november2025 = "2025-11-25"
    case july2026 = "2026-07-28"

    /// The newest revision first, as `server/discover` and an unsupported
    /// version's error list them.
    public static let newestFirst: [MCPProtocolVersion] = allCases.sorted(by: >)

    /// The newest legacy revision: what `initialize` answers a version it
    /// does not know with (the spec: "SHOULD be the latest version supported").
    public static let newestLegacy: MCPProtocolVersion = newestFirst.first { !$0.isModern }!

    /// Whether requests carry the version in `_meta` instead of a handshake.
    public var isModern: Bool { self >= .july2026 }

    /// The dates sort as their text does.
    public static func < (lhs: MCPProtocolVersion, rhs: MCPProtocolVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}
