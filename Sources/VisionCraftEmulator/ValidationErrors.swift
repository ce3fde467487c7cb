import JSON

/// FastAPI-style validation errors, the 422 body the service's clients
/// expect: `{"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}`.
struct ValidationErrors: Error {
    private(set) var items: [JSON] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func add(_ field: String, _ message: String, type: String, context: JSONObject? = nil) {
        add(location: [.string(field)], message, type: type, context: context)
    }

    /// An error at a path inside the body: `[]` is the body itself,
    /// `["styles", 0]` an element of a field.
    mutating func add(location: [JSON], _ message: String, type: String, context: JSONObject? = nil) {
        var item: JSONObject = ["loc": .array(["body"] + location), "msg": .string(message), "type": .string(type)]
        if let context { item["ctx"] = .object(context) }
        items.append(.object(item))
    }

    /// The response body.
    var body: JSON { ["detail": .array(items)] }
}

/// Reads fields of a request body the way FastAPI's validation does:
/// required or defaulted, typed, ranged, collecting every error.
struct BodyReader {
    let body: JSONObject
    var errors = ValidationErrors()

    init(_ body: JSONObject) {
        self.body = body
    }

    mutating func string(_ field: String, required: Bool, nonEmpty: Bool = false, default fallback: String? = nil) -> String? {
        guard let value = body[field], value != .null else {
            if required { errors.add(field, "field required", type: "value_error.missing") }
            return fallback
        }
        guard case .string(let text) = value else {
            errors.add(field, "str type expected", type: "type_error.str")
            return nil
        }
        if nonEmpty, text.isEmpty {
            errors.add(field, "ensure this value has at least 1 characters", type: "value_error.any_str.min_length", context: ["limit_value": 1])
            return nil
        }
        return text
    }

    mutating func integer(_ field: String, required: Bool, default fallback: Int? = nil, in range: ClosedRange<Int>) -> Int? {
        guard let value = body[field], value != .null else {
            if required { errors.add(field, "field required", type: "value_error.missing") }
            return fallback
        }
        guard case .number(let number) = value, let integer = number.int else {
            errors.add(field, "value is not a valid integer", type: "type_error.integer")
            return nil
        }
        return check(field, integer, range, Double(integer)) ? integer : nil
    }

    mutating func number(_ field: String, default fallback: Double, in range: ClosedRange<Int>) -> Double? {
        guard let value = body[field], value != .null else { return fallback }
        guard case .number(let number) = value, number.double.isFinite else {
            errors.add(field, "value is not a valid float", type: "type_error.float")
            return nil
        }
        return check(field, Int(number.double.rounded(.down)), range, number.double) ? number.double : nil
    }

    mutating func strings(_ field: String) -> [String]? {
        guard let value = body[field], value != .null else {
            errors.add(field, "field required", type: "value_error.missing")
            return nil
        }
        guard case .array(let elements) = value else {
            errors.add(field, "value is not a valid list", type: "type_error.list")
            return nil
        }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                errors.add("\(field).\(index)", "str type expected", type: "type_error.str")
                return nil
            }
            result.append(text)
        }
        return result
    }

    private mutating func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>, _ exact: Double) -> Bool {
        if exact < Double(range.lowerBound) {
            errors.add(field, "ensure this value is greater than or equal to \(range.lowerBound)", type: "value_error.number.not_ge", context: ["limit_value": .number(JSONNumber(range.lowerBound))])
            return false
        }
        if exact > Double(range.upperBound) {
            errors.add(field, "ensure this value is less than or equal to \(range.upperBound)", type: "value_error.number.not_le", context: ["limit_value": .number(JSONNumber(range.upperBound))])
            return false
        }
        return true
    }
}
