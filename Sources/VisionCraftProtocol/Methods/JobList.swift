import Jobs
import JSON
import JSONRPC

/// `job.list`: jobs, newest first.
package enum JobList: RPCMethod {
    package static let name = "job.list"

    /// The job model's query, read and written here (`JobQuery: RPCParameters`).
    package typealias Parameters = JobQuery

    package struct Result: RPCResult, Equatable {
        package var jobs: [JobInfo]
        /// Pass as `before` for the next page; absent on the last page.
        package var next: String?
        /// What a query with `summary` gets instead of `jobs`: each job's
        /// summary, which `result` writes in their place (a client reads that
        /// answer with `JobList.Summaries`).
        package var summaries: [JobSummary]?

        package init(jobs: [JobInfo], next: String?) {
            self.jobs = jobs
            self.next = next
        }

        /// The answer to a query with `summary`.
        package init(summaries: [JobSummary], next: String?) {
            self.init(jobs: [], next: next)
            self.summaries = summaries
        }

        package init(result: JSON) throws(FieldError) {
            (jobs, next) = try JobList.page(result) { entry, path throws(FieldError) in try JobInfo(json: entry, path: path) }
        }

        package var result: JSON {
            var object: JSONObject = ["jobs": .array(summaries.map { $0.map(\.json) } ?? jobs.map(\.result))]
            if let next { object["next"] = .string(next) }
            return .object(object)
        }
    }
}

extension JobQuery: RPCParameters {
    public init(params: JSON?) throws(RPCError) {
        do throws(FieldError) {
            var reader = try FieldReader(params, path: "params")
            self.init(
                state: try reader.enumeration("state", JobState.self), label: try reader.string("label", nonEmpty: true),
                text: try reader.string("text", nonEmpty: true), search: try reader.string("search", nonEmpty: true),
                limit: try reader.integer("limit", in: JobQuery.limitRange) ?? JobQuery.defaultLimit,
                before: try reader.string("before", nonEmpty: true), summary: try reader.boolean("summary") ?? false
            )
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
        if summary { object["summary"] = .bool(true) }
        return .object(object)
    }
}

extension JobList {
    /// A page of `job.list`: each entry of `jobs` read by `entry` (given the
    /// entry and its path, `result.jobs[3]`), and `next`.
    static func page<Entry>(_ result: JSON, _ entry: (JSON, String) throws(FieldError) -> Entry) throws(FieldError) -> ([Entry], String?) {
        var reader = try FieldReader(result, path: "result")
        guard case .array(let entries)? = reader.value("jobs") else { throw FieldError(field: "result.jobs", detail: "expected an array") }
        var jobs: [Entry] = []
        jobs.reserveCapacity(entries.count)
        for (index, value) in entries.enumerated() {
            jobs.append(try entry(value, "result.jobs[\(index)]"))
        }
        return (jobs, try reader.string("next"))
    }

    /// `job.list` read for a listing: each entry a `JobSummary`, for a
    /// client that shows a line a job (the same call on the wire).
    package enum Summaries: RPCMethod {
        package static let name = JobList.name
        package typealias Parameters = JobQuery

        package struct Result: RPCResult, Equatable {
            package var jobs: [JobSummary]
            package var next: String?

            package init(result: JSON) throws(FieldError) {
                (jobs, next) = try JobList.page(result) { entry, path throws(FieldError) in try JobSummary(json: entry, path: path) }
            }

            package var result: JSON {
                var object: JSONObject = ["jobs": .array(jobs.map(\.json))]
                if let next { object["next"] = .string(next) }
                return .object(object)
            }
        }
    }
}
