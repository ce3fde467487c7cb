import Jobs
import JSON
import JSONRPC

/// `{"id": "..."}`: the parameters of methods about one job.
public struct JobIDParameters: RPCParameters, Equatable {
    public var id: String

    public init(id: String) {
        self.id = id
    }

    public init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            id = try reader.required("id", try reader.string("id", nonEmpty: true))
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    public var params: JSON? { ["id": .string(id)] }
}

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

/// `job.get`: one job.
public enum JobGet: RPCMethod {
    public static let name = "job.get"
    public typealias Parameters = JobIDParameters
    public typealias Result = JobInfo
}

/// `job.cancel`: a queued job is cancelled at once; a running one has its
/// request in flight aborted. Returns the job.
public enum JobCancel: RPCMethod {
    public static let name = "job.cancel"
    public typealias Parameters = JobIDParameters
    public typealias Result = JobInfo
}

/// `job.retry`: a failed or cancelled job goes back to the queue (saved
/// images are kept). Returns the job.
public enum JobRetry: RPCMethod {
    public static let name = "job.retry"
    public typealias Parameters = JobIDParameters
    public typealias Result = JobInfo
}

/// `job.list`: jobs, newest first.
public enum JobList: RPCMethod {
    public static let name = "job.list"

    public struct Parameters: RPCParameters, Equatable {
        public var state: JobState?
        public var label: String?
        /// Jobs whose prompt contains this text.
        public var text: String?
        /// Jobs whose prompt has all these words (full-text search: word
        /// prefixes, any case and accents).
        public var search: String?
        /// 1 to 1000, default 50.
        public var limit: Int
        /// Only jobs older than this id (the `next` of the previous page).
        public var before: String?

        public init(
            state: JobState? = nil, label: String? = nil, text: String? = nil, search: String? = nil, limit: Int = 50, before: String? = nil
        ) {
            self.state = state
            self.label = label
            self.text = text
            self.search = search
            self.limit = limit
            self.before = before
        }

        public init(params: JSON?) throws(RPCError) {
            do throws(FieldError) {
                var reader = try FieldReader(params, path: "params")
                state = try reader.enumeration("state", JobState.self)
                label = try reader.string("label", nonEmpty: true)
                text = try reader.string("text", nonEmpty: true)
                search = try reader.string("search", nonEmpty: true)
                limit = try reader.integer("limit", in: 1...1000) ?? 50
                before = try reader.string("before", nonEmpty: true)
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        public var params: JSON? {
            var object: JSONObject = ["limit": .number(JSONNumber(limit))]
            if let state { object["state"] = .string(state.rawValue) }
            if let label { object["label"] = .string(label) }
            if let text { object["text"] = .string(text) }
            if let search { object["search"] = .string(search) }
            if let before { object["before"] = .string(before) }
            return .object(object)
        }
    }

    public struct Result: RPCResult, Equatable {
        public var jobs: [JobInfo]
        /// Pass as `before` for the next page; absent on the last page.
        public var next: String?

        public init(jobs: [JobInfo], next: String?) {
            self.jobs = jobs
            self.next = next
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            guard case .array(let entries)? = reader.value("jobs") else { throw FieldError(field: "result.jobs", detail: "expected an array") }
            var jobs: [JobInfo] = []
            for (index, entry) in entries.enumerated() {
                jobs.append(try JobInfo(json: entry, path: "result.jobs[\(index)]"))
            }
            self.jobs = jobs
            next = try reader.string("next")
        }

        public var result: JSON {
            var object: JSONObject = ["jobs": .array(jobs.map(\.result))]
            if let next { object["next"] = .string(next) }
            return .object(object)
        }
    }
}

/// `job.wait`: answers when the job reaches succeeded, failed or cancelled,
/// when it is queued while the daemon has no usable API key (none, or
/// refused), or when the timeout passes (then `timed_out` is true).
public enum JobWait: RPCMethod {
    public static let name = "job.wait"

    public struct Parameters: RPCParameters, Equatable {
        public var id: String
        /// 0 to 3600, default 60.
        public var timeoutSeconds: Double

        public init(id: String, timeoutSeconds: Double = 60) {
            self.id = id
            self.timeoutSeconds = timeoutSeconds
        }

        public init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                id = try reader.required("id", try reader.string("id", nonEmpty: true))
                timeoutSeconds = try reader.number("timeout_seconds", in: 0...3600) ?? 60
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        public var params: JSON? { ["id": .string(id), "timeout_seconds": .number(JSONNumber(timeoutSeconds) ?? JSONNumber(60))] }
    }

    public struct Result: RPCResult, Equatable {
        public var job: JobInfo
        public var timedOut: Bool

        public init(job: JobInfo, timedOut: Bool) {
            self.job = job
            self.timedOut = timedOut
        }

        public init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            job = try JobInfo(json: try reader.required("job", reader.value("job")), path: "result.job")
            timedOut = try reader.required("timed_out", try reader.boolean("timed_out"))
        }

        public var result: JSON { ["job": job.result, "timed_out": .bool(timedOut)] }
    }
}
