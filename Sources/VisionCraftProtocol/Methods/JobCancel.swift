import JSONRPC

/// `job.cancel`: a queued job is cancelled at once; a running one has its
/// request in flight aborted. Returns the job.
public enum JobCancel: RPCMethod {
    public static let name = "job.cancel"
    public typealias Parameters = JobIDParameters
    public typealias Result = JobInfo
}
