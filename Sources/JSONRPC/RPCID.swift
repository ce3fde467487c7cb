import JSON

/// A request id: a string, a number (kept exactly as the client wrote it,
/// so `1.0` and `1e3` come back unchanged), or null.
public enum RPCID: Hashable, Sendable, CustomStringConvertible {
    case number(JSONNumber)
    case string(String)
    case null

    /// An integer id, as clients that count requests use.
    public init(_ value: Int) {
        self = .number(JSONNumber(value))
    }

    /// Reads an id; nil if the JSON is not a string, number or null.
    public init?(json: JSON) {
        switch json {
        case .number(let number): self = .number(number)
        case .string(let string): self = .string(string)
        case .null: self = .null
        default: return nil
        }
    }

    public var json: JSON {
        switch self {
        case .number(let number): .number(number)
        case .string(let string): .string(string)
        case .null: .null
        }
    }

    public var description: String { json.description }
}
