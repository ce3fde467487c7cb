import JSON

/// A field of a JSON object that is missing, of the wrong type or out of range.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's path, such as "params.image_count".
    public let field: String
    /// What was expected and what came: "expected an integer from 1 to 5, got 9".
    public let detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }

    public var description: String { "\(field): \(detail)" }

    /// The same problem as a JSON-RPC invalid-params error.
    public var rpcError: RPCError { .invalidParams(field: field, detail) }
}

/// Reads typed fields from a JSON object with errors that name the field and
/// what was expected, and refuses fields nobody asked for (a typo such as
/// `promt` is an error, not a silently ignored member).
///
/// ```swift
/// var reader = try FieldReader(params, path: "params")
/// let count = try reader.integer("image_count", in: 1...5) ?? 1
/// try reader.finish()
/// ```
public struct FieldReader: Sendable {
    /// The object's path, for messages ("params").
    public let path: String
    private let object: JSONObject
    /// The fields read so far (few: an array, not a set).
    private var consumed: [String] = []

    /// Reads from `json`, which must be an object; nil is read as `{}`.
    public init(_ json: JSON?, path: String) throws(FieldError) {
        self.path = path
        switch json {
        case nil: object = [:]
        case .object(let value)?: object = value
        case .array?: throw FieldError(field: path, detail: "expected an object of named parameters, got an array")
        case let other?: throw FieldError(field: path, detail: "expected an object, got \(other.typeName)")
        }
    }

    /// The raw value of a field (marked as read), or nil.
    public mutating func value(_ name: String) -> JSON? {
        if !consumed.contains(name) { consumed.append(name) }
        guard let value = object[name], value != .null else { return nil }
        return value
    }

    /// A string field; `nonEmpty` rejects "".
    public mutating func string(_ name: String, nonEmpty: Bool = false) throws(FieldError) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let string) = value else { throw mismatch(name, "a string", value) }
        if nonEmpty, string.isEmpty { throw FieldError(field: field(name), detail: "must not be empty") }
        return string
    }

    /// An integer field, optionally within `range`.
    public mutating func integer(_ name: String, in range: ClosedRange<Int>? = nil) throws(FieldError) -> Int? {
        guard let value = value(name) else { return nil }
        guard case .number(let number) = value, let integer = number.int else {
            throw mismatch(name, range.map { "an integer from \($0.lowerBound) to \($0.upperBound)" } ?? "an integer", value)
        }
        if let range, !range.contains(integer) {
            throw FieldError(field: field(name), detail: "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(integer)")
        }
        return integer
    }

    /// A number field, optionally within `range`.
    public mutating func number(_ name: String, in range: ClosedRange<Double>? = nil) throws(FieldError) -> Double? {
        guard let value = value(name) else { return nil }
        guard case .number(let number) = value else {
            throw mismatch(name, range.map { "a number from \($0.lowerBound) to \($0.upperBound)" } ?? "a number", value)
        }
        let double = number.double
        if let range, !range.contains(double) {
            throw FieldError(field: field(name), detail: "expected a number from \(range.lowerBound) to \(range.upperBound), got \(number.text)")
        }
        return double
    }

    /// A string field that must name one of `T`'s cases.
    ///
    /// Inlinable, as `required` is: specialized where it is called instead
    /// of going through the unspecialized generic code of another module.
    @inlinable
    public mutating func enumeration<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(FieldError) -> T?
    where T.RawValue == String {
        guard let text = try string(name) else { return nil }
        guard let value = T(rawValue: text) else { throw notOneOf(name, T.allCases.map(\.rawValue), got: text) }
        return value
    }

    /// A boolean field.
    public mutating func boolean(_ name: String) throws(FieldError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let bool) = value else { throw mismatch(name, "true or false", value) }
        return bool
    }

    /// An array of strings.
    public mutating func strings(_ name: String) throws(FieldError) -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let elements) = value else { throw mismatch(name, "an array of strings", value) }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let string) = element else {
                throw FieldError(field: "\(field(name))[\(index)]", detail: "expected a string, got \(element.typeName)")
            }
            result.append(string)
        }
        return result
    }

    /// A required field: throws when `value` is nil.
    ///
    /// Inlinable: a client reading a list calls it for every field of every
    /// entry, and the unspecialized generic call from another module costs
    /// many times the check (BENCHMARKS.md, notes from profiles).
    @inlinable
    public func required<T>(_ name: String, _ value: T?) throws(FieldError) -> T {
        guard let value else { throw missing(name) }
        return value
    }

    /// The error of a required field that is missing.
    @usableFromInline
    func missing(_ name: String) -> FieldError {
        FieldError(field: field(name), detail: "is required")
    }

    /// The error of a field that names none of `names`.
    @usableFromInline
    func notOneOf(_ name: String, _ names: [String], got text: String) -> FieldError {
        FieldError(field: field(name), detail: "expected one of \(names.joined(separator: ", ")), got '\(text.prefix(80))'")
    }

    /// Fails on any field that was not read.
    public func finish() throws(FieldError) {
        for key in object.keys where !consumed.contains(key) {
            let known = consumed.sorted()
            let hint = known.isEmpty ? "no fields are accepted here" : "accepted: \(known.joined(separator: ", "))"
            throw FieldError(field: field(key), detail: "unknown field (\(hint))")
        }
    }

    private func field(_ name: String) -> String { "\(path).\(name)" }

    private func mismatch(_ name: String, _ expected: String, _ value: JSON) -> FieldError {
        FieldError(field: field(name), detail: "expected \(expected), got \(value.typeName)")
    }
}
