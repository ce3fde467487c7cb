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
