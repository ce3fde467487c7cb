import JSON
import JSONRPC

/// The result of `models.list` and `samplers.list`: names, as the upstream
/// spells them.
package struct CatalogListResult: RPCResult, Equatable {
    /// The member that holds the list: "models" or "samplers".
    package let member: String
    package var names: [String]

    package init(member: String, names: [String]) {
        self.member = member
        self.names = names
    }

    init(member: String, result: JSON) throws(FieldError) {
        self.member = member
        var reader = try FieldReader(result, path: "result")
        names = try reader.required(member, try reader.strings(member))
    }

    package init(result: JSON) throws(FieldError) {
        guard let object = result.objectValue, let key = object.keys.first(where: { $0 == "models" || $0 == "samplers" }) else {
            throw FieldError(field: "result", detail: "expected an object with a models or samplers list")
        }
        try self.init(member: key, result: result)
    }

    package var result: JSON { [member: .array(names.map { .string($0) })] }
}
