import JSON
import JSONRPC

/// The parameters of `models.list` and `samplers.list`.
public struct CatalogListParameters: RPCParameters, Equatable {
    /// Fetch the list from the upstream now instead of using the cached one.
    public var refresh: Bool

    public init(refresh: Bool = false) {
        self.refresh = refresh
    }

    public init(params: JSON?) throws(RPCError) {
        do {
            var reader = try FieldReader(params, path: "params")
            refresh = try reader.boolean("refresh") ?? false
            try reader.finish()
        } catch {
            throw error.rpcError
        }
    }

    public var params: JSON? { refresh ? ["refresh": true] : nil }
}

/// The result of `models.list` and `samplers.list`: names, as the upstream
/// spells them.
public struct CatalogListResult: RPCResult, Equatable {
    /// The member that holds the list: "models" or "samplers".
    public let member: String
    public var names: [String]

    public init(member: String, names: [String]) {
        self.member = member
        self.names = names
    }

    init(member: String, result: JSON) throws(FieldError) {
        self.member = member
        var reader = try FieldReader(result, path: "result")
        names = try reader.required(member, try reader.strings(member))
    }

    public init(result: JSON) throws(FieldError) {
        guard let object = result.objectValue, let key = object.keys.first(where: { $0 == "models" || $0 == "samplers" }) else {
            throw FieldError(field: "result", detail: "expected an object with a models or samplers list")
        }
        try self.init(member: key, result: result)
    }

    public var result: JSON { [member: .array(names.map { .string($0) })] }
}

/// `models.list`: the models the upstream offers (cached by the daemon;
/// `refresh` fetches them again).
public enum ModelsList: RPCMethod {
    public static let name = "models.list"
    public typealias Parameters = CatalogListParameters
    public typealias Result = CatalogListResult
}

/// `samplers.list`: the samplers the upstream offers (cached like the models).
public enum SamplersList: RPCMethod {
    public static let name = "samplers.list"
    public typealias Parameters = CatalogListParameters
    public typealias Result = CatalogListResult
}
