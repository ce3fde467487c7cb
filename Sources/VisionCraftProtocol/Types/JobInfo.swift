import Jobs
import JSON
import JSONRPC

/// A job as the daemon returns it (`job.get`, `job.list`, `job.updated`).
package struct JobInfo: RPCResult, Equatable {
    /// One image of the job.
    package struct Image: Sendable, Equatable {
        package var index: Int
        package var state: ImageState
        /// The saved file, once saved.
        package var path: String?

        package init(index: Int, state: ImageState, path: String?) {
            self.index = index
            self.state = state
            self.path = path
        }
    }

    /// Why the last attempt failed.
    package struct Failure: Sendable, Equatable {
        package var kind: FailureKind
        package var message: String

        package init(kind: FailureKind, message: String) {
            self.kind = kind
            self.message = message
        }
    }

    /// How the parameters are held: decoded, or as the document the daemon
    /// stored the job with (see `keepStoredParameters`). Two are equal when
    /// their parameters are, however each holds them.
    private enum ParameterStorage: Sendable, Equatable {
        case decoded(JobRequest)
        case stored(document: JSON, fallback: JobRequest)

        var parameters: JobRequest {
            switch self {
            case .decoded(let parameters): parameters
            case .stored(let document, let fallback): (try? JobRequest(json: document, path: "params")) ?? fallback
            }
        }

        static func == (lhs: ParameterStorage, rhs: ParameterStorage) -> Bool {
            lhs.parameters == rhs.parameters
        }
    }

    package var id: String
    package var state: JobState
    private var parameterStorage: ParameterStorage
    package var images: [Image]
    package var imagesDone: Int
    package var attempts: Int
    package var error: Failure?
    /// Queued jobs ahead of this one (queued jobs only).
    package var position: Int?
    /// When the next attempt may start (RFC 3339), while waiting on a backoff.
    package var nextAttemptAt: String?
    package var createdAt: String
    package var updatedAt: String
    package var startedAt: String?
    package var finishedAt: String?

    package init(
        id: String, state: JobState, params: JobRequest, images: [Image], imagesDone: Int, attempts: Int, error: Failure?,
        position: Int?, nextAttemptAt: String?, createdAt: String, updatedAt: String, startedAt: String?, finishedAt: String?
    ) {
        self.id = id
        self.state = state
        self.parameterStorage = .decoded(params)
        self.images = images
        self.imagesDone = imagesDone
        self.attempts = attempts
        self.error = error
        self.position = position
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// The job's parameters.
    package var params: JobRequest {
        get { parameterStorage.parameters }
        set { parameterStorage = .decoded(newValue) }
    }

    /// Writes `document`, the parameters exactly as the job was stored with
    /// them, as `params` instead of encoding `params`; `params` reads them
    /// back from it when asked, and is `fallback` if it cannot.
    ///
    /// The daemon stores what validated parameters encode to, at submit, and
    /// never changes it: a `job.list` hands it out as it is instead of
    /// decoding, checking and encoding it again for every job.
    package mutating func keepStoredParameters(_ document: JSON, fallback: JobRequest) {
        parameterStorage = .stored(document: document, fallback: fallback)
    }

    /// Whether nothing more happens to the job unless it is retried.
    package var isTerminal: Bool { state.isTerminal }

    package init(result: JSON) throws(FieldError) {
        try self.init(json: result, path: "result")
    }

    package init(json: JSON, path: String) throws(FieldError) {
        var reader = try FieldReader(json, path: path)
        id = try reader.required("id", try reader.string("id"))
        state = try reader.required("state", try reader.enumeration("state", JobState.self))
        parameterStorage = .decoded(try JobRequest(json: try reader.required("params", reader.value("params")), path: "\(path).params"))
        guard case .array(let entries)? = reader.value("images") else { throw FieldError(field: "\(path).images", detail: "expected an array") }
        images = []
        for (offset, entry) in entries.enumerated() {
            var image = try FieldReader(entry, path: "\(path).images[\(offset)]")
            images.append(Image(
                index: try image.required("index", try image.integer("index")),
                state: try image.required("state", try image.enumeration("state", ImageState.self)),
                path: try image.string("path")
            ))
        }
        imagesDone = try reader.required("images_done", try reader.integer("images_done"))
        attempts = try reader.required("attempts", try reader.integer("attempts"))
        if let failure = reader.value("error") {
            var error = try FieldReader(failure, path: "\(path).error")
            self.error = Failure(kind: try error.required("kind", try error.enumeration("kind", FailureKind.self)), message: try error.required("message", try error.string("message")))
        }
        position = try reader.integer("position")
        nextAttemptAt = try reader.string("next_attempt_at")
        createdAt = try reader.required("created_at", try reader.string("created_at"))
        updatedAt = try reader.required("updated_at", try reader.string("updated_at"))
        startedAt = try reader.string("started_at")
        finishedAt = try reader.string("finished_at")
        // Newer daemons may add fields: a client reads what it knows.
    }

    package var result: JSON {
        let parameters: JSON, imageCount: Int
        switch parameterStorage {
        case .decoded(let decoded): (parameters, imageCount) = (decoded.json, decoded.imageCount)
        case .stored(let document, let fallback): (parameters, imageCount) = (document, fallback.imageCount)
        }
        var object: JSONObject = [
            "id": .string(id), "state": .string(state.rawValue), "params": parameters,
            "image_count": .number(JSONNumber(imageCount)), "images_done": .number(JSONNumber(imagesDone)),
            "images": .array(images.map { image in
                var entry: JSONObject = ["index": .number(JSONNumber(image.index)), "state": .string(image.state.rawValue)]
                if let path = image.path { entry["path"] = .string(path) }
                return .object(entry)
            }),
            "attempts": .number(JSONNumber(attempts)),
            "error": error.map { ["kind": .string($0.kind.rawValue), "message": .string($0.message)] } ?? .null,
        ]
        if let position { object["position"] = .number(JSONNumber(position)) }
        if let nextAttemptAt { object["next_attempt_at"] = .string(nextAttemptAt) }
        object["created_at"] = .string(createdAt)
        object["updated_at"] = .string(updatedAt)
        if let startedAt { object["started_at"] = .string(startedAt) }
        if let finishedAt { object["finished_at"] = .string(finishedAt) }
        return .object(object)
    }
}
