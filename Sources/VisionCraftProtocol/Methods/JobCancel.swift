import JSONRPC

/// `job.cancel`: a queued job is cancelled at once; a running one has its
/// request in flight aborted. Returns the job.
package enum JobCancel: RPCMethod {
    package static let name = "job.cancel"
    package typealias Parameters = JobIDParameters
    package typealias Result = JobInfo
}
