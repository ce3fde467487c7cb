import Jobs
import JSON
import JSONRPC

/// What a one-line listing shows of a job (`vcctl list`, `vcctl history`):
/// read from a `job.list` entry without decoding and checking the job's
/// parameters, which are most of an entry and which a line shows only the
/// prompt of. `JobInfo` reads an entry whole.
package struct JobSummary: Sendable, Equatable {
    package var id: String
    package var state: JobState
    package var imageCount: Int
    package var imagesDone: Int
    package var createdAt: String
    package var prompt: String

    package init(id: String, state: JobState, imageCount: Int, imagesDone: Int, createdAt: String, prompt: String) {
        self.id = id
        self.state = state
        self.imageCount = imageCount
        self.imagesDone = imagesDone
        self.createdAt = createdAt
        self.prompt = prompt
    }

    /// Reads the fields a line shows; the others are not looked at.
    ///
    /// - Throws: `FieldError` naming the field when one of those is missing
    ///   or of the wrong type, or the state is none of the five.
    package init(json: JSON, path: String) throws(FieldError) {
        var reader = try FieldReader(json, path: path)
        id = try reader.required("id", try reader.string("id"))
        state = try reader.required("state", try reader.enumeration("state", JobState.self))
        imageCount = try reader.required("image_count", try reader.integer("image_count"))
        imagesDone = try reader.required("images_done", try reader.integer("images_done"))
        createdAt = try reader.required("created_at", try reader.string("created_at"))
        var parameters = try FieldReader(try reader.required("params", reader.value("params")), path: "\(path).params")
        prompt = try parameters.required("prompt", try parameters.string("prompt"))
    }

    /// The entry `job.list` writes for a job when asked for summaries: the
    /// fields above, the prompt in `params` where a whole job has it, so
    /// that the same reader takes either.
    package var json: JSON {
        [
            "id": .string(id), "state": .string(state.rawValue), "image_count": .number(JSONNumber(imageCount)),
            "images_done": .number(JSONNumber(imagesDone)), "created_at": .string(createdAt), "params": ["prompt": .string(prompt)],
        ]
    }

    /// The summary of a job read whole.
    package init(_ job: JobInfo) {
        self.init(id: job.id, state: job.state, imageCount: job.params.imageCount, imagesDone: job.imagesDone, createdAt: job.createdAt, prompt: job.params.prompt)
    }
}
