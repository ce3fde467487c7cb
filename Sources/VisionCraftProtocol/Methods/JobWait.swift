import JSON
import JSONRPC

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
