import JSONRPC

/// `job.retry`: a failed or cancelled job goes back to the queue (saved
/// images are kept). Returns the job.
public enum JobRetry: RPCMethod {
    public static let name = "job.retry"
    public typealias Parameters = JobIDParameters
    public typealias Result = JobInfo
}
