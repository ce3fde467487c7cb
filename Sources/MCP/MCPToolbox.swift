import JSON

/// What an MCP server serves: its tools, resources and tasks. `MCPServer`
/// speaks the protocol (both eras, progress, cancellation) and calls these;
/// each runs on a thread of its own and may block.
public protocol MCPToolbox: Sendable {
    /// The server's name and version (`serverInfo`).
    var implementation: MCPImplementation { get }
    /// Guidance for the model on how to use the server.
    var instructions: String? { get }
    /// The tools, in a fixed order (clients cache the list).
    var tools: [MCPTool] { get }
    /// The URI templates of the resources (`resources/templates/list`).
    var resourceTemplates: [JSON] { get }

    /// Runs a tool. A refusal of its arguments or a failure of its work is
    /// a result with `isError`; only a fault of the request itself throws.
    func call(tool: String, arguments: JSONObject, context: MCPRequestContext) throws(MCPProtocolError) -> MCPCallOutcome
    /// A page of resources, and the cursor of the next page.
    func listResources(cursor: String?, context: MCPRequestContext) throws(MCPProtocolError) -> (resources: [JSON], nextCursor: String?)
    /// A resource's contents (`resources/read`).
    func readResource(uri: String, context: MCPRequestContext) throws(MCPProtocolError) -> [JSON]
    /// A task's state (`tasks/get`: a DetailedTask, with `result` once
    /// completed), for a client of the tasks extension.
    func task(id: String, context: MCPRequestContext) throws(MCPProtocolError) -> JSONObject
    /// Asks for a task to be cancelled (`tasks/cancel`; cooperative).
    func cancelTask(id: String, context: MCPRequestContext) throws(MCPProtocolError)
}

/// A server's or client's name and version.
public struct MCPImplementation: Sendable, Equatable {
    public var name: String
    public var title: String?
    public var version: String

    public init(name: String, title: String? = nil, version: String) {
        self.name = name
        self.title = title
        self.version = version
    }

    public var json: JSON {
        var object: JSONObject = ["name": .string(name), "version": .string(version)]
        if let title { object["title"] = .string(title) }
        return .object(object)
    }
}

/// What a `tools/call` gave: a result, or (for a client of the tasks
/// extension) a task the client follows with `tasks/get`.
public enum MCPCallOutcome: Sendable, Equatable {
    case result(MCPToolResult)
    /// The task's fields (`Task`: taskId, status, createdAt, lastUpdatedAt,
    /// ttlMs, pollIntervalMs), answered as a `CreateTaskResult`.
    case task(JSONObject)
}

/// One tool as `tools/list` describes it.
public struct MCPTool: Sendable, Equatable {
    public var name: String
    public var title: String
    public var description: String
    /// JSON Schema (2020-12) of the arguments: an object schema.
    public var inputSchema: JSON
    /// JSON Schema of `structuredContent`.
    public var outputSchema: JSON?
    /// Hints: readOnlyHint, destructiveHint, idempotentHint, openWorldHint.
    public var annotations: JSONObject

    public init(name: String, title: String, description: String, inputSchema: JSON, outputSchema: JSON?, annotations: JSONObject) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
    }

    public var json: JSON {
        var object: JSONObject = [
            "name": .string(name), "title": .string(title), "description": .string(description), "inputSchema": inputSchema,
        ]
        if let outputSchema { object["outputSchema"] = outputSchema }
        var annotations = self.annotations
        annotations["title"] = .string(title)
        object["annotations"] = .object(annotations)
        return .object(object)
    }
}

/// A tool's answer: content blocks, their structured twin, and whether it
/// is a failure the model should read (`isError`).
public struct MCPToolResult: Sendable, Equatable {
    public var content: [JSON]
    public var structuredContent: JSON?
    public var isError: Bool

    public init(content: [JSON], structuredContent: JSON? = nil, isError: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
    }

    /// A failure the model reads and can act on.
    public static func failure(_ message: String) -> MCPToolResult {
        MCPToolResult(content: [MCPContent.text(message)], isError: true)
    }

    public var json: JSONObject {
        var object: JSONObject = ["content": .array(content)]
        if let structuredContent { object["structuredContent"] = structuredContent }
        if isError { object["isError"] = true }
        return object
    }
}

/// Content blocks.
public enum MCPContent {
    public static func text(_ text: String) -> JSON { ["type": "text", "text": .string(text)] }

    /// An image inline: base64 data.
    public static func image(base64: String, mimeType: String) -> JSON {
        ["type": "image", "data": .string(base64), "mimeType": .string(mimeType)]
    }

    /// A link to a resource the client may read.
    public static func resourceLink(uri: String, name: String, title: String? = nil, mimeType: String?, size: Int?) -> JSON {
        var object: JSONObject = ["type": "resource_link", "uri": .string(uri), "name": .string(name)]
        if let title { object["title"] = .string(title) }
        if let mimeType { object["mimeType"] = .string(mimeType) }
        if let size { object["size"] = .number(JSONNumber(size)) }
        return .object(object)
    }
}
