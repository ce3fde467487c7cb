import JSON
import JSONRPC

/// `job.wait`: answers when the job reaches succeeded, failed or cancelled,
/// when it is queued while the daemon has no usable API key (none, or
/// refused), or when the timeout passes (then `timed_out` is true).
package enum JobWait: RPCMethod {
    package static let name = "job.wait"

    package struct Parameters: RPCParameters, Equatable {
        package var id: String
        /// 0 to 3600, default 60.
        package var timeoutSeconds: Double

        package init(id: String, timeoutSeconds: Double = 60) {
            self.id = id
            self.timeoutSeconds = timeoutSeconds
        }

        package init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                id = try reader.required("id", try reader.string("id", nonEmpty: true))
                timeoutSeconds = try reader.number("timeout_seconds", in: 0...3600) ?? 60
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        package var params: JSON? { ["id": .string(id), "timeout_seconds": .number(JSONNumber(timeoutSeconds) ?? JSONNumber(60))] }
    }

    package struct Result: RPCResult, Equatable {
        package var job: JobInfo
        package var timedOut: Bool

        package init(job: JobInfo, timedOut: Bool) {
            self.job = job
            self.timedOut = timedOut
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            job = try JobInfo(json: try reader.required("job", reader.value("job")), path: "result.job")
            timedOut = try reader.required("timed_out", try reader.boolean("timed_out"))
        }

        package var result: JSON { ["job": job.result, "timed_out": .bool(timedOut)] }
    }
}
