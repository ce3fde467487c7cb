import JSONRPC

/// `job.get`: one job.
public enum JobGet: RPCMethod {
    public static let name = "job.get"
    public typealias Parameters = JobIDParameters
    public typealias Result = JobInfo
}
