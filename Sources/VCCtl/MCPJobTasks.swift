import Client
import Jobs
import JSON
import JSONRPC
import MCP
import VisionCraftProtocol

/// Jobs as tasks of the `io.modelcontextprotocol/tasks` extension: a task's
/// id is its job's, so a client that kept it finds it after any restart.
///
/// | job state | task status |
/// |---|---|
/// | queued, running | working |
/// | succeeded, failed | completed (`result`: what generate_image answers; `isError` for a failed job) |
/// | cancelled | cancelled |
///
/// `failed` is never used: the extension keeps it for JSON-RPC errors, and
/// a job that failed is a tool result that says why.
struct MCPJobTasks {
    let options: DaemonClient.Options

    /// How often a client should ask (`pollIntervalMs`).
    static let pollIntervalMilliseconds = 1000

    /// A job's task (`Task` and, once completed, its `result`).
    static func task(_ job: JSON) -> JSONObject {
        let state = job["state"]?.stringValue.flatMap(JobState.init(rawValue:)) ?? .queued
        var task: JSONObject = [
            "taskId": job["id"] ?? "", "status": .string(status(state)), "createdAt": job["created_at"] ?? "",
            "lastUpdatedAt": job["updated_at"] ?? job["created_at"] ?? "",
            // Jobs stay until the user prunes the history.
            "ttlMs": .null, "pollIntervalMs": .number(JSONNumber(pollIntervalMilliseconds)),
        ]
        let result = MCPJobResult.make(job, finished: state.isTerminal, previews: false)
        if let summary = result.content.first?["text"] { task["statusMessage"] = summary }
        if state == .succeeded || state == .failed { task["result"] = .object(result.json) }
        return task
    }

    static func status(_ state: JobState) -> String {
        switch state {
        case .queued, .running: "working"
        case .succeeded, .failed: "completed"
        case .cancelled: "cancelled"
        }
    }

    func get(_ id: String) throws(MCPProtocolError) -> JSONObject {
        Self.task(try call(JobGet.name, id))
    }

    func cancel(_ id: String) throws(MCPProtocolError) {
        do {
            _ = try call(JobCancel.name, id)
        } catch where error.error.code == ApplicationError.jobWrongState.code {
            // Already finished: cancellation is cooperative.
        }
    }

    private func call(_ method: String, _ id: String) throws(MCPProtocolError) -> JSON {
        try MCPDaemonCall.protocolCall(options, method, ["id": .string(id)]) { _ in
            MCPProtocolError(.invalidParams, "no task \(id): no job of this daemon has that id", data: ["taskId": .string(id)])
        }
    }
}
