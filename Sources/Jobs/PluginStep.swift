import JSON

/// One step of a job's plugin chain, as users write it: `upscale`,
/// `upscale:scale=2,mode=fast`, or `upscale:{"scale":2}`. A job's steps are
/// read once, where the request is read (`JobRequest.plugins`); the stored
/// job keeps each as it was written.
public struct PluginStep: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    /// A JSON object (empty when none were given).
    public let options: JSON
    /// The step as written (`upscale:scale=2`): what the job stores and shows.
    public let text: String

    /// A step made in code; its text is the name with the options as JSON.
    public init(name: String, options: JSON = [:]) {
        self.name = name
        self.options = options
        if case .object(let object) = options, !object.isEmpty {
            text = name + ":" + JSONSerializer.serializeToString(options)
        } else {
            text = name
        }
    }

    /// Plugin names: what users type in `--plugin NAME`, and what a
    /// plugin's descriptor must call it: 1 to 32 of a-z, 0-9 and `-`.
    public static func isPluginName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Reads one step. Values in `key=value` form are numbers, true/false or
    /// text; a comma not followed by `key=` belongs to the value
    /// (`style=A, B` is one value, "A, B").
    public init(parsing text: String) throws(PluginStepError) {
        let name = String(text.prefix { $0 != ":" })
        self.text = text
        guard Self.isPluginName(name) else {
            throw PluginStepError("'\(text)': a plugin name is 1 to 32 characters of a-z, 0-9 and - (vcctl plugins lists them)")
        }
        self.name = name
        let rest = text.dropFirst(name.count)
        guard rest.first == ":" else {
            options = [:]
            return
        }
        let spec = rest.dropFirst()
        if spec.first == "{" {
            guard let json = try? JSONParser.parse(String(spec)), case .object = json else {
                throw PluginStepError("'\(text)': the options after '\(name):' are not a JSON object")
            }
            options = json
            return
        }
        var pairs: [(key: String, value: String)] = []
        for piece in spec.split(separator: ",", omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: "="), equals != piece.startIndex, Self.isOptionKey(piece[..<equals]) {
                pairs.append((String(piece[..<equals]), String(piece[piece.index(after: equals)...])))
            } else if !pairs.isEmpty {
                pairs[pairs.count - 1].value += "," + piece
            } else {
                throw PluginStepError("'\(text)': '\(piece)' is not key=value")
            }
        }
        var object = JSONObject()
        for (key, value) in pairs {
            guard object[key] == nil else { throw PluginStepError("'\(text)': '\(key)' is given twice") }
            if let number = JSONNumber(literal: value) {
                object[key] = .number(number)
            } else if value == "true" || value == "false" {
                object[key] = .bool(value == "true")
            } else {
                object[key] = .string(value)
            }
        }
        options = .object(object)
    }

    /// Whether `text` can start a `key=value` pair: letters, digits, `_`
    /// and `-`.
    static func isOptionKey(_ text: Substring) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// `name` or `name (k=v, ...)`, as messages name the step.
    public var description: String {
        guard case .object(let object) = options, !object.isEmpty else { return name }
        let pairs = object.map { key, value in "\(key)=\(value.stringValue ?? JSONSerializer.serializeToString(value))" }
        return "\(name) (\(pairs.joined(separator: ", ")))"
    }
}

/// A chain step that cannot be read, with what is expected.
public struct PluginStepError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
