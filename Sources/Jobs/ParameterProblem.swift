/// A job field refused at submit (out of range for the backend, a name
/// not in its catalog, a folder or file that cannot be used), named with
/// what is allowed.
public struct ParameterProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's wire name: "image_count" (`JobField.wireName`).
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
