import JSON
import JSONRPC

/// `{"id": "..."}`: the parameters of methods about one job.
package struct JobIDParameters: RPCParameters, Equatable {
    package var id: String

    package init(id: String) {
        self.id = id
    }

    package init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            id = try reader.required("id", try reader.string("id", nonEmpty: true))
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    package var params: JSON? { ["id": .string(id)] }
}
