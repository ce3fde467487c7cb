import Jobs
import JSON
import JSONRPC

/// `job.submit`: queue a job. Answered once the job is committed to disk.
public enum JobSubmit: RPCMethod {
    public static let name = "job.submit"
    public typealias Parameters = JobRequest

    public struct Result: RPCResult, Equatable {
        public var id: String
        public var state: JobState
        /// Queued jobs ahead of it.
        public var position: Int
        /// True when `idempotency_key` matched an earlier job (this is that job).
        public var existing: Bool
        /// Every job the submission made, `id` first: more than one when a
        /// prompt plugin expanded the request.
        public var ids: [String]

        public init(id: String, state: JobState, position: Int, existing: Bool, ids: [String]? = nil) {
            self.id = id
            self.state = state
            self.position = position
            self.existing = existing
            self.ids = ids ?? [id]
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            id = try reader.required("id", try reader.string("id"))
            state = try reader.required("state", try reader.enumeration("state", JobState.self))
            position = try reader.required("position", try reader.integer("position"))
            existing = try reader.boolean("existing") ?? false
            ids = try reader.strings("ids") ?? [id]
        }

        public var result: JSON {
            [
                "id": .string(id), "state": .string(state.rawValue), "position": .number(JSONNumber(position)), "existing": .bool(existing),
                "ids": .array(ids.map(JSON.string)),
            ]
        }
    }
}
