import Jobs
import JSON
import JSONRPC

/// The `job.updated` notification: a job changed.
package struct JobUpdated: Sendable, Equatable {
    package static let method = "job.updated"
    /// `events.dropped`: events were dropped for a slow reader; `params.count` says how many.
    package static let droppedMethod = "events.dropped"

    package var id: String
    package var state: JobState
    package var imagesDone: Int
    package var imageCount: Int
    package var attempts: Int
    /// While waiting on a backoff: when the next attempt may start.
    package var nextAttemptAt: String?
    /// The last failure (the reason for a retry, or for the failure).
    package var error: JobInfo.Failure?
    /// While a generation runs on a backend that says: how far it is, 0 to
    /// 1, and the seconds it estimates are left. Absent on other events.
    package var progress: Double?
    package var remainingSeconds: Double?

    package init(id: String, state: JobState, imagesDone: Int, imageCount: Int, attempts: Int, nextAttemptAt: String?, error: JobInfo.Failure?) {
        self.id = id
        self.state = state
        self.imagesDone = imagesDone
        self.imageCount = imageCount
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.error = error
    }

    package var params: JSON {
        var object: JSONObject = [
            "id": .string(id), "state": .string(state.rawValue), "images_done": .number(JSONNumber(imagesDone)),
            "image_count": .number(JSONNumber(imageCount)), "attempts": .number(JSONNumber(attempts)),
        ]
        if let nextAttemptAt { object["next_attempt_at"] = .string(nextAttemptAt) }
        if let error { object["error"] = ["kind": .string(error.kind.rawValue), "message": .string(error.message)] }
        if let progress, let number = JSONNumber(progress) { object["progress"] = .number(number) }
        if let remainingSeconds, let number = JSONNumber(remainingSeconds) { object["remaining_seconds"] = .number(number) }
        return .object(object)
    }

    package init(params: JSON) throws(FieldError) {
        var reader = try FieldReader(params, path: "params")
        id = try reader.required("id", try reader.string("id"))
        state = try reader.required("state", try reader.enumeration("state", JobState.self))
        imagesDone = try reader.required("images_done", try reader.integer("images_done"))
        imageCount = try reader.required("image_count", try reader.integer("image_count"))
        attempts = try reader.required("attempts", try reader.integer("attempts"))
        nextAttemptAt = try reader.string("next_attempt_at")
        progress = try reader.number("progress", in: 0...1)
        remainingSeconds = try reader.number("remaining_seconds", in: 0...Double.greatestFiniteMagnitude)
        if let failure = reader.value("error") {
            var error = try FieldReader(failure, path: "params.error")
            self.error = JobInfo.Failure(kind: try error.required("kind", try error.enumeration("kind", FailureKind.self)), message: try error.required("message", try error.string("message")))
        }
    }
}
