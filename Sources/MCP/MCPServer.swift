import JSON
import JSONRPC
import Posix

/// A Model Context Protocol server on a stream (stdio): reads one JSON-RPC
/// message per line, answers in both eras, and runs each tool call, read and
/// task request on a thread of its own so that a cancellation, or another
/// call, is read while it waits.
///
/// Eras (2026-07-28, "Versioning and Compatibility"): `initialize` opens a
/// legacy session (2025-06-18, 2025-11-25) for the process; a request whose
/// `_meta` names 2026-07-28 is served on its own, with `resultType`, the
/// server's identity and cache hints in its result. Both may be served by
/// the same process.
public final class MCPServer: Sendable {
    /// The longest message read; a longer line is refused and skipped.
    public static let maximumMessageBytes = 32 << 20
    /// Requests answered at once; one more is refused until one ends.
    public static let maximumInFlight = 64
    /// How long a client may cache what does not change while the server
    /// runs (tools, templates, discovery), in milliseconds.
    static let stableCacheMilliseconds = 3_600_000

    private struct Session {
        /// The legacy revision `initialize` agreed, and the client's capabilities.
        var legacy: (version: MCPProtocolVersion, capabilities: JSON)?
        var inFlight: [RPCID: MCPCancellation] = [:]
    }

    private let toolbox: any MCPToolbox
    private let output: MCPOutput
    private let session = Lock(Session())
    private let log: @Sendable (String) -> Void

    /// - Parameters:
    ///   - log: where a line for a person goes (stderr: stdout is the protocol's).
    public init(toolbox: any MCPToolbox, output: MCPOutput, log: @escaping @Sendable (String) -> Void) {
        self.toolbox = toolbox
        self.output = output
        self.log = log
    }

    /// Reads messages from `input` until it closes.
    public func serve(input: FileDescriptor) {
        var reader = MCPLineReader(maximumLineLength: Self.maximumMessageBytes)
        reader.read(from: input) { line in
            switch line {
            case .message(let bytes): handle(bytes)
            case .tooLong(let length):
                reply(id: .null, error: MCPProtocolError(.invalidRequest, "a message of over \(length) bytes: the most is \(Self.maximumMessageBytes)"))
            }
        }
    }

    /// Handles one message (a line without its newline).
    public func handle(_ bytes: [UInt8]) {
        let message: JSON
        do {
            message = try JSONParser.parse(bytes)
        } catch {
            return reply(id: .null, error: MCPProtocolError(.parseError, "Parse error: \(error)"))
        }
        guard case .object(let object) = message else {
            let detail = message.arrayValue != nil ? "batches are not part of MCP since 2025-06-18: send one message a line" : "expected an object, got \(message.typeName)"
            return reply(id: .null, error: MCPProtocolError(.invalidRequest, "Invalid Request: \(detail)"))
        }
        let id = object["id"].flatMap(RPCID.init(json:))
        guard object["jsonrpc"] == "2.0" else {
            return reply(id: id ?? .null, error: MCPProtocolError(.invalidRequest, "Invalid Request: jsonrpc must be \"2.0\""))
        }
        guard let method = object["method"]?.stringValue else {
            // A response from the client: this server sends no requests.
            if object["result"] != nil || object["error"] != nil { return }
            return reply(id: id ?? .null, error: MCPProtocolError(.invalidRequest, "Invalid Request: no method"))
        }
        let params = object["params"] ?? .object([:])
        guard case .object(let parameters) = params else {
            if object["id"] == nil { return }
            return reply(id: id ?? .null, error: .invalidParams("params must be an object, got \(params.typeName)"))
        }
        guard let rawID = object["id"] else { return notification(method, parameters) }
        guard let id, id != .null else {
            return reply(id: .null, error: MCPProtocolError(.invalidRequest, "Invalid Request: an id must be a string or an integer, got \(rawID.typeName)"))
        }
        request(id: id, method: method, parameters)
    }

    // MARK: Notifications

    private func notification(_ method: String, _ parameters: JSONObject) {
        switch method {
        case "notifications/cancelled":
            guard let requestID = parameters["requestId"].flatMap(RPCID.init(json:)) else { return }
            let cancellation = session.withLock { $0.inFlight[requestID] }
            cancellation?.cancel(reason: parameters["reason"]?.stringValue)
        default:
            // notifications/initialized and others need nothing.
            break
        }
    }

    // MARK: Requests

    private func request(id: RPCID, method: String, _ parameters: JSONObject) {
        if method == "initialize" { return initialize(id: id, parameters) }
        let meta = parameters["_meta"]?.objectValue ?? [:]
        let version: MCPProtocolVersion
        let capabilities: JSON
        if let requested = meta[MCPMetaKey.protocolVersion] {
            guard let name = requested.stringValue, let known = MCPProtocolVersion(rawValue: name), known.isModern || known == legacyVersion else {
                return reply(id: id, error: .unsupportedVersion(requested.stringValue ?? requested.description))
            }
            version = known
            capabilities = known.isModern ? meta[MCPMetaKey.clientCapabilities] ?? .object([:]) : legacyCapabilities
        } else if method == "server/discover" {
            version = MCPProtocolVersion.newestFirst[0]
            capabilities = .object([:])
        } else if let legacy = session.withLock({ $0.legacy }) {
            (version, capabilities) = legacy
        } else if method == "ping" {
            return reply(id: id, result: [:], version: .newestLegacy)
        } else {
            return reply(
                id: id,
                error: MCPProtocolError(
                    .invalidRequest,
                    "Invalid Request: \(method) before initialize: send initialize first (\(MCPProtocolVersion.newestFirst.filter { !$0.isModern }.map(\.rawValue).joined(separator: ", "))) or name a version in _meta[\"\(MCPMetaKey.protocolVersion)\"] (\(MCPProtocolVersion.newestFirst.filter(\.isModern).map(\.rawValue).joined(separator: ", ")))"
                )
            )
        }
        let cancellation = MCPCancellation()
        let progress = MCPProgress(token: meta[MCPMetaKey.progressToken], cancellation: cancellation, send: { [output] in output.send($0) })
        let context = MCPRequestContext(version: version, clientCapabilities: capabilities, progress: progress, cancellation: cancellation)
        switch method {
        case "server/discover":
            reply(id: id, result: discovery, version: version, cacheable: true)
        case "ping" where !version.isModern:
            reply(id: id, result: [:], version: version)
        case "tools/list":
            reply(id: id, result: ["tools": .array(toolbox.tools.map(\.json))], version: version, cacheable: true)
        case "resources/templates/list":
            reply(id: id, result: ["resourceTemplates": .array(toolbox.resourceTemplates)], version: version, cacheable: true)
        case "tools/call", "resources/list", "resources/read":
            run(id: id, context: context) { [toolbox] () throws(MCPProtocolError) -> JSONObject in
                try Self.serve(method, parameters, toolbox: toolbox, context: context)
            }
        case _ where version.isModern && ["tasks/get", "tasks/cancel", "tasks/update"].contains(method):
            run(id: id, context: context) { [toolbox] () throws(MCPProtocolError) -> JSONObject in
                guard let task = parameters["taskId"]?.stringValue else { throw .invalidParams("params.taskId: expected a string") }
                switch method {
                case "tasks/get": return try toolbox.task(id: task, context: context)
                case "tasks/cancel": try toolbox.cancelTask(id: task, context: context)
                default:
                    // No task of this server asks for input: the task must
                    // exist, and the acknowledgement is empty.
                    _ = try toolbox.task(id: task, context: context)
                }
                return [:]
            }
        default:
            reply(id: id, error: MCPProtocolError(.methodNotFound, "Method not found: \(method)", data: ["method": .string(method)]))
        }
    }

    /// The methods that may block, on the calling (own) thread.
    private static func serve(
        _ method: String, _ parameters: JSONObject, toolbox: any MCPToolbox, context: MCPRequestContext
    ) throws(MCPProtocolError) -> JSONObject {
        switch method {
        case "tools/call":
            guard let name = parameters["name"]?.stringValue else { throw .invalidParams("params.name: expected the tool's name, a string") }
            guard toolbox.tools.contains(where: { $0.name == name }) else {
                throw MCPProtocolError(
                    .invalidParams, "Unknown tool: \(name) (the tools: \(toolbox.tools.map(\.name).joined(separator: ", ")))", data: ["tool": .string(name)]
                )
            }
            let arguments: JSONObject
            switch parameters["arguments"] {
            case nil, .null?: arguments = [:]
            case .object(let object)?: arguments = object
            case let other?: throw .invalidParams("params.arguments: expected an object, got \(other.typeName)")
            }
            switch try toolbox.call(tool: name, arguments: arguments, context: context) {
            case .result(let result): return result.json
            case .task(let task):
                // CreateTaskResult: the task's fields in the result itself.
                var result = task
                result["resultType"] = "task"
                return result
            }
        case "resources/list":
            let cursor = try cursor(parameters)
            let page = try toolbox.listResources(cursor: cursor, context: context)
            var result: JSONObject = ["resources": .array(page.resources)]
            if let next = page.nextCursor { result["nextCursor"] = .string(next) }
            return result
        default:
            guard let uri = parameters["uri"]?.stringValue else { throw .invalidParams("params.uri: expected a string") }
            return ["contents": .array(try toolbox.readResource(uri: uri, context: context))]
        }
    }

    private static func cursor(_ parameters: JSONObject) throws(MCPProtocolError) -> String? {
        switch parameters["cursor"] {
        case nil, .null?: return nil
        case .string(let cursor)?: return cursor
        case let other?: throw .invalidParams("params.cursor: expected a string, got \(other.typeName)")
        }
    }

    private func initialize(id: RPCID, _ parameters: JSONObject) {
        guard let requested = parameters["protocolVersion"]?.stringValue else {
            return reply(id: id, error: .invalidParams("params.protocolVersion: expected a string"))
        }
        // The client's version when this server speaks it, else the newest
        // legacy one (the client decides whether it can go on).
        let version = MCPProtocolVersion(rawValue: requested).flatMap { $0.isModern ? nil : $0 } ?? .newestLegacy
        let capabilities = parameters["capabilities"] ?? .object([:])
        session.withLock { $0.legacy = (version, capabilities) }
        if let client = parameters["clientInfo"]?["name"]?.stringValue {
            log("mcp: \(client) \(parameters["clientInfo"]?["version"]?.stringValue ?? "") opened a \(version.rawValue) session")
        }
        var result: JSONObject = [
            "protocolVersion": .string(version.rawValue), "capabilities": serverCapabilities(modern: false),
            "serverInfo": toolbox.implementation.json,
        ]
        if let instructions = toolbox.instructions { result["instructions"] = .string(instructions) }
        reply(id: id, result: result, version: version)
    }

    private var legacyVersion: MCPProtocolVersion? { session.withLock { $0.legacy?.version } }
    private var legacyCapabilities: JSON { session.withLock { $0.legacy?.capabilities } ?? .object([:]) }

    private var discovery: JSONObject {
        var result: JSONObject = [
            "supportedVersions": .array(MCPProtocolVersion.newestFirst.map { .string($0.rawValue) }),
            "capabilities": serverCapabilities(modern: true),
        ]
        if let instructions = toolbox.instructions { result["instructions"] = .string(instructions) }
        return result
    }

    private func serverCapabilities(modern: Bool) -> JSON {
        var capabilities: JSONObject = ["tools": ["listChanged": false], "resources": ["subscribe": false, "listChanged": false]]
        if modern {
            capabilities["tools"] = .object([:])
            capabilities["resources"] = .object([:])
            capabilities["extensions"] = [MCPMetaKey.tasksExtension: .object([:])]
        }
        return .object(capabilities)
    }

    // MARK: Running and answering

    /// Runs `body` on a thread of its own; its answer is dropped if the
    /// client cancelled the request meanwhile (the spec: nothing more is
    /// sent for it).
    private func run(id: RPCID, context: MCPRequestContext, _ body: @escaping @Sendable () throws(MCPProtocolError) -> JSONObject) {
        let admitted = session.withLock { session -> MCPProtocolError? in
            if session.inFlight[id] != nil { return MCPProtocolError(.invalidRequest, "Invalid Request: id \(id) is already in use by a request in flight") }
            if session.inFlight.count >= Self.maximumInFlight {
                return MCPProtocolError(.internalError, "\(Self.maximumInFlight) requests are in flight: wait for one to end")
            }
            session.inFlight[id] = context.cancellation
            return nil
        }
        if let admitted { return reply(id: id, error: admitted) }
        let finish: @Sendable (Result<JSONObject, MCPProtocolError>) -> Void = { [self] outcome in
            session.withLock { _ = $0.inFlight.removeValue(forKey: id) }
            guard !context.cancellation.isCancelled else { return }
            switch outcome {
            case .success(let result): reply(id: id, result: result, version: context.version, cacheable: false)
            case .failure(let error): reply(id: id, error: error)
            }
        }
        do {
            let thread = try OSThread.spawn(name: "mcp-request") {
                do throws(MCPProtocolError) {
                    finish(.success(try body()))
                } catch {
                    finish(.failure(error))
                }
            }
            thread.detach()
        } catch {
            finish(.failure(MCPProtocolError(.internalError, "could not start a thread for the request: \(error)")))
        }
    }

    private func reply(id: RPCID, result: JSONObject, version: MCPProtocolVersion, cacheable: Bool = false) {
        var result = result
        if version.isModern {
            if result["resultType"] == nil { result["resultType"] = "complete" }
            var meta = result["_meta"]?.objectValue ?? [:]
            meta[MCPMetaKey.serverInfo] = toolbox.implementation.json
            result["_meta"] = .object(meta)
            if cacheable {
                result["ttlMs"] = .number(JSONNumber(Self.stableCacheMilliseconds))
                result["cacheScope"] = "private"
            }
        }
        output.send(["jsonrpc": "2.0", "id": id.json, "result": .object(result)])
    }

    private func reply(id: RPCID, error: MCPProtocolError) {
        output.send(["jsonrpc": "2.0", "id": id.json, "error": error.error.json])
    }
}
