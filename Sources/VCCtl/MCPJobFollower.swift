import Client
import Jobs
import JSON
import JSONRPC
import MCP
import Posix
import VisionCraftProtocol

/// Waits for a job on behalf of a tool call: follows the daemon's events,
/// reports progress to the client that asked for it, and stops at the
/// call's deadline, its cancellation, or the daemon going away (the job is
/// durable: the answer says how to come back to it).
struct MCPJobFollower {
    let options: DaemonClient.Options
    let context: MCPRequestContext

    func follow(_ reference: String, seconds: Double, previews: Bool, cancelOnAbort: Bool) throws(MCPDaemonCall.Failure) -> MCPToolResult {
        let daemon = try MCPDaemonCall(options: options)
        if seconds > 0 { _ = try daemon.call(EventsSubscribe.name, [:]) }
        var job = try daemon.call(JobGet.name, ["id": .string(reference)])
        guard let id = job["id"]?.stringValue else { throw MCPDaemonCall.Failure(message: "the daemon described job \(reference) without an id: \(job)") }
        report(job)
        let deadline = MonotonicInstant.now().advanced(by: .milliseconds(Int64(seconds * 1000)))
        while !JobStateName.isTerminal(job) {
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero else { break }
            let notification: RPCNotification?
            do {
                notification = try daemon.whileWaiting(context.cancellation) { () throws(MCPDaemonCall.Failure) -> RPCNotification? in
                    do throws(RPCClientError) {
                        return try daemon.client.rpc.nextNotification(timeout: left)
                    } catch {
                        throw MCPDaemonCall.Failure(message: MCPDaemonCall.message(.call(error)))
                    }
                }
            } catch {
                guard context.cancellation.isCancelled else {
                    throw MCPDaemonCall.Failure(message: "stopped waiting for job \(id): \(error.message)")
                }
                return abort(id, cancelJob: cancelOnAbort)
            }
            guard let notification else { continue }
            if notification.method == JobUpdated.droppedMethod {
                job = try daemon.call(JobGet.name, ["id": .string(id)])
                continue
            }
            guard notification.method == JobUpdated.method, let params = notification.params, params["id"]?.stringValue == id else { continue }
            guard let update = try? JobUpdated(params: params) else { continue }
            if update.state.isTerminal {
                job = try daemon.call(JobGet.name, ["id": .string(id)])
            } else {
                report(update)
            }
        }
        if context.cancellation.isCancelled { return abort(id, cancelJob: cancelOnAbort) }
        return MCPJobResult.make(job, finished: JobStateName.isTerminal(job), previews: previews)
    }

    /// The call was cancelled: nothing is sent for it; the job goes on
    /// unless the caller asked otherwise.
    private func abort(_ id: String, cancelJob: Bool) -> MCPToolResult {
        if cancelJob, let daemon = try? MCPDaemonCall(options: options) {
            _ = try? daemon.call(JobCancel.name, ["id": .string(id)])
        }
        return .failure("cancelled while waiting for job \(id)")
    }

    private func report(_ job: JSON) {
        guard context.progress.isRequested, let update = try? JobUpdated(params: Self.updateShape(job)) else { return }
        report(update, position: job["position"]?.intValue)
    }

    /// A job's description read as the event it would be.
    private static func updateShape(_ job: JSON) -> JSON {
        var object: JSONObject = [
            "id": job["id"] ?? "", "state": job["state"] ?? "", "images_done": job["images_done"] ?? 0,
            "image_count": job["params"]?["image_count"] ?? .number(JSONNumber(job["images"]?.arrayValue?.count ?? 1)),
            "attempts": job["attempts"] ?? 0,
        ]
        if let next = job["next_attempt_at"] { object["next_attempt_at"] = next }
        if let error = job["error"] { object["error"] = error }
        return .object(object)
    }

    /// Progress in images (`total` the job's count): the images done and
    /// the fraction of the generation under way.
    private func report(_ update: JobUpdated, position: Int? = nil) {
        let done = Double(update.imagesDone)
        let total = Double(max(update.imageCount, 1))
        let progress = min(total, done + (update.progress ?? 0))
        var message = "\(update.state.rawValue): \(update.imagesDone) of \(update.imageCount) images"
        if let fraction = update.progress { message += ", \(Int(fraction * 100))% of this generation" }
        if let seconds = update.remainingSeconds { message += ", about \(Int(seconds.rounded())) s left" }
        if let position, update.state == .queued { message += ", position \(position) in the queue" }
        if let next = update.nextAttemptAt { message += "; next attempt at \(next)" }
        if let error = update.error { message += " (last error: \(error.kind.rawValue): \(error.message))" }
        context.progress.report(progress, total: total, message: message)
    }
}
