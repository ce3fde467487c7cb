import Client
import Jobs
import JSON
import JSONRPC
import MCP
import Posix
import VisionCraftProtocol

/// `vcctl mcp`'s tools, resources and tasks: each a client of the daemon
/// (a connection a call), never of the key. Refused arguments and daemon
/// failures are results with `isError`, in words the assistant can act on.
struct MCPImageToolbox: MCPToolbox {
    let options: DaemonClient.Options

    var implementation: MCPImplementation { MCPImplementation(name: "visioncraft", title: "visioncraft", version: VisionCraftVersion.current) }

    var instructions: String? {
        "Images are made by the visioncraft daemon's durable queue. generate_image waits up to wait_seconds (45 by default); a job not done by then keeps running: call wait_job or get_job with its id later. Images come back as resource links to the saved PNG files; ask for previews only when you need to see them."
    }

    var tools: [MCPTool] { MCPToolCatalog.tools }

    var resourceTemplates: [JSON] { MCPImageResources.templates }

    func call(tool: String, arguments: JSONObject, context: MCPRequestContext) throws(MCPProtocolError) -> MCPCallOutcome {
        do throws(MCPDaemonCall.Failure) {
            var reader = MCPArguments(arguments)
            let outcome = try run(tool, &reader, context: context)
            return outcome
        } catch {
            return .result(.failure(error.message))
        }
    }

    private func run(_ tool: String, _ arguments: inout MCPArguments, context: MCPRequestContext) throws(MCPDaemonCall.Failure) -> MCPCallOutcome {
        switch tool {
        case MCPToolCatalog.generateImage:
            return try generate(&arguments, context: context)
        case MCPToolCatalog.getJob:
            let id = try arguments.required(arguments.string("id"), "id")
            let previews = try arguments.boolean("previews") ?? false
            try arguments.finish()
            let daemon = try MCPDaemonCall(options: options)
            let job = try daemon.call(JobGet.name, ["id": .string(id)])
            return .result(MCPJobResult.make(job, finished: JobStateName.isTerminal(job), previews: previews))
        case MCPToolCatalog.waitJob:
            let id = try arguments.required(arguments.string("id"), "id")
            let wait = try arguments.waitSeconds()
            let previews = try arguments.boolean("previews") ?? false
            let cancelOnAbort = try arguments.boolean("cancel_on_abort") ?? false
            try arguments.finish()
            return .result(try MCPJobFollower(options: options, context: context).follow(id, seconds: wait, previews: previews, cancelOnAbort: cancelOnAbort))
        case MCPToolCatalog.cancelJob, MCPToolCatalog.retryJob:
            let id = try arguments.required(arguments.string("id"), "id")
            try arguments.finish()
            let daemon = try MCPDaemonCall(options: options)
            _ = try daemon.call(tool == MCPToolCatalog.cancelJob ? JobCancel.name : JobRetry.name, ["id": .string(id)])
            let job = try daemon.call(JobGet.name, ["id": .string(id)])
            return .result(MCPJobResult.make(job, finished: JobStateName.isTerminal(job), previews: false))
        case MCPToolCatalog.listJobs, MCPToolCatalog.searchHistory:
            var query: JSONObject = [:]
            if tool == MCPToolCatalog.searchHistory {
                query["search"] = .string(try arguments.required(arguments.string("query"), "query"))
            } else {
                if let state = try arguments.string("state") {
                    guard JobState(rawValue: state) != nil else {
                        throw MCPDaemonCall.Failure(message: "state: expected one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")), got '\(state)'")
                    }
                    query["state"] = .string(state)
                }
                if let label = try arguments.string("label") { query["label"] = .string(label) }
                if let text = try arguments.string("text") { query["text"] = .string(text) }
            }
            query["limit"] = .number(JSONNumber(try arguments.integer("limit", in: MCPToolCatalog.listLimitRange) ?? MCPToolCatalog.defaultListLimit))
            if let before = try arguments.string("before") { query["before"] = .string(before) }
            try arguments.finish()
            let listing = try MCPDaemonCall(options: options).call(JobList.name, query)
            return .result(MCPJobResult.list(listing))
        case MCPToolCatalog.listBackends:
            try arguments.finish()
            let backends = try MCPDaemonCall(options: options).call(BackendsList.name, [:])
            let names = (backends["backends"]?.arrayValue ?? []).compactMap { entry -> String? in
                guard let name = entry["name"]?.stringValue else { return nil }
                return "\(name) (\(entry["kind"]?.stringValue ?? "?")\(entry["default"]?.boolValue == true ? ", default" : ""))"
            }
            return .result(MCPJobResult.structured(backends, summary: "Backends: \(names.joined(separator: ", ")).\n"))
        case MCPToolCatalog.listModels:
            var params: JSONObject = [:]
            if let backend = try arguments.string("backend") { params["backend"] = .string(backend) }
            if try arguments.boolean("refresh") == true { params["refresh"] = true }
            try arguments.finish()
            let daemon = try MCPDaemonCall(options: options)
            let models = try daemon.call(ModelsList.name, params)
            var structured: JSONObject = ["models": models["models"] ?? .array([])]
            // Samplers are a convenience: a backend without a list has none.
            params.removeValue(forKey: "refresh")
            if let samplers = try? daemon.call(SamplersList.name, params)["samplers"] { structured["samplers"] = samplers }
            return .result(MCPJobResult.structured(.object(structured), summary: ""))
        default:
            throw MCPDaemonCall.Failure(message: "no tool \(tool)")
        }
    }

    /// Commits the job, then waits for it (or, for a client of the tasks
    /// extension, answers with a task whose id is the job's).
    private func generate(_ arguments: inout MCPArguments, context: MCPRequestContext) throws(MCPDaemonCall.Failure) -> MCPCallOutcome {
        let wait = try arguments.waitSeconds()
        let previews = try arguments.boolean("previews") ?? false
        let cancelOnAbort = try arguments.boolean("cancel_on_abort") ?? false
        let job = try arguments.jobRequest()
        let daemon = try MCPDaemonCall(options: options)
        let submitted = try daemon.call(JobSubmit.name, job)
        guard let id = submitted["id"]?.stringValue else { throw MCPDaemonCall.Failure(message: "the daemon accepted the job but gave no id: \(submitted)") }
        if context.supportsTasks {
            return .task(MCPJobTasks.task(submitted))
        }
        return .result(try MCPJobFollower(options: options, context: context).follow(id, seconds: wait, previews: previews, cancelOnAbort: cancelOnAbort))
    }

    func listResources(cursor: String?, context: MCPRequestContext) throws(MCPProtocolError) -> (resources: [JSON], nextCursor: String?) {
        try MCPImageResources(options: options).list(cursor: cursor)
    }

    func readResource(uri: String, context: MCPRequestContext) throws(MCPProtocolError) -> [JSON] {
        try MCPImageResources(options: options).read(uri, version: context.version)
    }

    func task(id: String, context: MCPRequestContext) throws(MCPProtocolError) -> JSONObject {
        try MCPJobTasks(options: options).get(id)
    }

    func cancelTask(id: String, context: MCPRequestContext) throws(MCPProtocolError) {
        try MCPJobTasks(options: options).cancel(id)
    }
}

/// Whether a job JSON is finished.
enum JobStateName {
    static func isTerminal(_ job: JSON) -> Bool {
        job["state"]?.stringValue.flatMap(JobState.init(rawValue:))?.isTerminal ?? false
    }
}
