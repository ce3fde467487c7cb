/// The `_meta` keys of the 2026-07-28 revision that this server reads or
/// writes (the spec's "General fields: _meta").
public enum MCPMetaKey {
    public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
    public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
    public static let clientInfo = "io.modelcontextprotocol/clientInfo"
    public static let serverInfo = "io.modelcontextprotocol/serverInfo"
    /// The tasks extension's identifier, in `capabilities.extensions`.
    public static let tasksExtension = "io.modelcontextprotocol/tasks"
    /// A request's progress token (both eras).
    public static let progressToken = "progressToken"
}
