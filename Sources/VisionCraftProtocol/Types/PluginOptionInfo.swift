import JSON
import JSONRPC

/// An option a plugin's steps take, as `plugins.list` shows it (declared by
/// the plugin, ABI 1.2).
package struct PluginOptionInfo: Sendable, Equatable {
    package var name: String
    /// integer, number, string or boolean.
    package var type: String
    package var required: Bool
    /// Integers and numbers: the smallest and largest value; strings: the
    /// shortest and longest length in bytes; absent when any.
    package var minimum: Double?
    package var maximum: Double?
    /// Strings: the accepted values; absent when any text is.
    package var choices: [String]?
    package var description: String?

    package init(
        name: String, type: String, required: Bool, minimum: Double? = nil, maximum: Double? = nil, choices: [String]? = nil,
        description: String? = nil
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.minimum = minimum
        self.maximum = maximum
        self.choices = choices
        self.description = description
    }

    var json: JSON {
        var object: JSONObject = ["name": .string(name), "type": .string(type), "required": .bool(required)]
        if let minimum, let number = JSONNumber(minimum) { object["minimum"] = .number(number) }
        if let maximum, let number = JSONNumber(maximum) { object["maximum"] = .number(number) }
        if let choices { object["choices"] = .array(choices.map(JSON.string)) }
        if let description { object["description"] = .string(description) }
        return .object(object)
    }

    init(json: JSON, path location: String) throws(FieldError) {
        var reader = try FieldReader(json, path: location)
        name = try reader.required("name", try reader.string("name"))
        type = try reader.required("type", try reader.string("type"))
        required = try reader.boolean("required") ?? false
        minimum = try reader.number("minimum")
        maximum = try reader.number("maximum")
        choices = try reader.strings("choices")
        description = try reader.string("description")
    }
}
