import JSONRPC

/// `job.get`: one job.
package enum JobGet: RPCMethod {
    package static let name = "job.get"
    package typealias Parameters = JobIDParameters
    package typealias Result = JobInfo
}
