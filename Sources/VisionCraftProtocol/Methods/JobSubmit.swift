import Jobs
import JSON
import JSONRPC

/// `job.submit`: queue a job. Answered once the job is committed to disk.
package enum JobSubmit: RPCMethod {
    package static let name = "job.submit"
    package typealias Parameters = JobRequest

    package struct Result: RPCResult, Equatable {
        package var id: String
        package var state: JobState
        /// Queued jobs ahead of it.
        package var position: Int
        /// True when `idempotency_key` matched an earlier job (this is that job).
        package var existing: Bool
        /// Every job the submission made, `id` first: more than one when a
        /// prompt plugin expanded the request.
        package var ids: [String]

        package init(id: String, state: JobState, position: Int, existing: Bool, ids: [String]? = nil) {
            self.id = id
            self.state = state
            self.position = position
            self.existing = existing
            self.ids = ids ?? [id]
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            id = try reader.required("id", try reader.string("id"))
            state = try reader.required("state", try reader.enumeration("state", JobState.self))
            position = try reader.required("position", try reader.integer("position"))
            existing = try reader.boolean("existing") ?? false
            ids = try reader.strings("ids") ?? [id]
        }

        package var result: JSON {
            [
                "id": .string(id), "state": .string(state.rawValue), "position": .number(JSONNumber(position)), "existing": .bool(existing),
                "ids": .array(ids.map(JSON.string)),
            ]
        }
    }
}
