import JSON
import VisionCraftPluginABI

/// One option a plugin's steps may give, as its descriptor declares it
/// (ABI 1.2, `vc_plugin_option`), and the check of a value against it.
public struct PluginOption: Sendable, Equatable {
    /// The type of the value (`vc_option_type`).
    public enum Kind: String, Sendable, Equatable {
        case integer, number, string, boolean
    }

    /// The key: 1 to 32 characters of a-z, 0-9 and `_`.
    public let name: String
    public let kind: Kind
    public let required: Bool
    /// Integers and numbers: the values; strings: the length in bytes (nil:
    /// any length); nil for booleans.
    public let range: ClosedRange<Double>?
    /// Strings: the accepted values (nil: any text).
    public let choices: [String]?
    /// One line ("2, 3 or 4; default 2").
    public let summary: String
    /// The key in AUTOMATIC1111's `parameters` text, when the plugin names
    /// one ("Postprocess upscale by").
    public let infotext: String?

    public init(
        name: String, kind: Kind, required: Bool = false, range: ClosedRange<Double>? = nil, choices: [String]? = nil, summary: String = "",
        infotext: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.required = required
        self.range = range
        self.choices = choices
        self.summary = summary
        self.infotext = infotext
    }

    /// What values are accepted, for messages: "a whole number from 2 to 4".
    public var accepted: String {
        switch kind {
        case .integer: return range.map { "a whole number from \(Self.text($0.lowerBound)) to \(Self.text($0.upperBound))" } ?? "a whole number"
        case .number: return range.map { "a number from \(Self.text($0.lowerBound)) to \(Self.text($0.upperBound))" } ?? "a number"
        case .boolean: return "true or false"
        case .string:
            if let choices { return "one of " + choices.joined(separator: ", ") }
            return range.map { "text of \(Self.text($0.lowerBound)) to \(Self.text($0.upperBound)) bytes" } ?? "text"
        }
    }

    /// `value` as the plugin takes it, or why it is not accepted. Text that
    /// `key=value` made a number or a boolean (`style=2`) is text again for
    /// a string option.
    func accept(_ value: JSON) -> Result<JSON, Refusal> {
        switch (kind, value) {
        case (.integer, .number(let number)):
            guard let double = Double(number.text), double.rounded() == double, range?.contains(double) ?? true else { return .failure(Refusal()) }
            return .success(value)
        case (.number, .number(let number)):
            guard let double = Double(number.text), double.isFinite, range?.contains(double) ?? true else { return .failure(Refusal()) }
            return .success(value)
        case (.boolean, .bool):
            return .success(value)
        case (.string, .string(let text)):
            return check(text)
        case (.string, .number(let number)):
            return check(number.text)
        case (.string, .bool(let flag)):
            return check(flag ? "true" : "false")
        default:
            return .failure(Refusal())
        }
    }

    private func check(_ text: String) -> Result<JSON, Refusal> {
        if let choices, !choices.contains(text) { return .failure(Refusal()) }
        if let range, !range.contains(Double(text.utf8.count)) { return .failure(Refusal()) }
        return .success(.string(text))
    }

    /// A value `accept` refused (the message says what is accepted).
    struct Refusal: Error {}

    /// `2` for 2.0, `0.5` for 0.5.
    private static func text(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
