import JSON

/// What a request says about its client, and its progress and cancellation.
public struct MCPRequestContext: Sendable {
    /// The revision the request is served under.
    public let version: MCPProtocolVersion
    /// The client's capabilities: from `initialize` (legacy) or the
    /// request's `_meta` (modern).
    public let clientCapabilities: JSON
    public let progress: MCPProgress
    public let cancellation: MCPCancellation

    public init(version: MCPProtocolVersion, clientCapabilities: JSON, progress: MCPProgress, cancellation: MCPCancellation) {
        self.version = version
        self.clientCapabilities = clientCapabilities
        self.progress = progress
        self.cancellation = cancellation
    }

    /// Whether the client takes a task in place of a tool's result (the
    /// `io.modelcontextprotocol/tasks` extension, 2026-07-28).
    public var supportsTasks: Bool {
        version.isModern && clientCapabilities["extensions"]?[MCPMetaKey.tasksExtension]?.objectValue != nil
    }
}
