import JSONRPC

/// `job.retry`: a failed or cancelled job goes back to the queue (saved
/// images are kept). Returns the job.
package enum JobRetry: RPCMethod {
    package static let name = "job.retry"
    package typealias Parameters = JobIDParameters
    package typealias Result = JobInfo
}
