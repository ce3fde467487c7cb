import JSON

/// A generation or edit request checked as the OpenAI API checks it, with
/// every default resolved. JSON null counts as absent, as in the API.
struct OpenAIImageRequest {
    var prompt: String
    var model: OpenAICatalog.Model
    var count: Int
    var width: Int
    var height: Int
    /// Resolved: never "auto".
    var quality: String
    var background: String
    /// "b64_json" or "url".
    var responseFormat: String
    var user: String?

    var size: String { "\(width)x\(height)" }

    /// The parameters each endpoint knows; a GPT image model refuses others
    /// (a local server ignores them).
    static let generationParameters: Set<String> = [
        "prompt", "model", "n", "size", "quality", "output_format", "output_compression", "response_format", "background", "moderation", "user",
        "stream", "partial_images",
    ]
    static let editParameters: Set<String> = [
        "prompt", "model", "n", "size", "quality", "output_format", "output_compression", "response_format", "background", "user", "stream",
        "partial_images", "input_fidelity",
    ]
    static let maximumPromptLength = 32000

    /// Checks `fields` (a JSON body's, or a form's text fields when `form`:
    /// then numbers and booleans arrive as text). `autoSize` is what size
    /// "auto" means for a GPT image model.
    static func parse(_ fields: JSONObject, edit: Bool, form: Bool, autoSize: (width: Int, height: Int) = (1024, 1024)) -> Result<Self, OpenAIError> {
        Result { () throws(OpenAIError) in try Self(fields, edit: edit, form: form, autoSize: autoSize) }
    }

    private init(_ fields: JSONObject, edit: Bool, form: Bool, autoSize: (width: Int, height: Int)) throws(OpenAIError) {
        let reader = Reader(fields: fields, form: form)
        let modelID = try reader.string("model") ?? OpenAICatalog.defaultModel
        guard let model = OpenAICatalog.model(modelID) else { throw .modelNotFound(modelID) }
        guard model.kind != .chat else {
            throw .invalidValue("model", modelID, supported: OpenAICatalog.models.filter { $0.kind != .chat }.map(\.id))
        }
        self.model = model
        let gpt = model.kind == .gptImage
        if gpt {
            let known = edit ? Self.editParameters : Self.generationParameters
            if let unknown = fields.keys.first(where: { !known.contains($0) }) { throw .unknownParameter(unknown) }
        }
        guard let prompt = try reader.string("prompt") else { throw .missing("prompt") }
        guard !prompt.isEmpty else { throw .invalid("Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.", param: "prompt", code: "empty_string") }
        guard prompt.count <= Self.maximumPromptLength else {
            throw .invalid(
                "Invalid 'prompt': string too long. Expected a string with maximum length \(Self.maximumPromptLength), but got a string with length \(prompt.count) instead.",
                param: "prompt", code: "string_above_max_length")
        }
        self.prompt = prompt
        count = try reader.integer("n", in: OpenAICatalog.imageCount) ?? 1

        let size = try reader.string("size") ?? "auto"
        if gpt, model.anySize, size != "auto" {
            guard let sides = Self.sides(size) else {
                throw .invalid("Invalid value: '\(size)'. Expected WIDTHxHEIGHT such as '1536x864', or 'auto'.", param: "size", code: "invalid_value")
            }
            if let problem = OpenAICatalog.FlexibleSizes.problem(width: sides.0, height: sides.1) {
                throw .invalid("Invalid value: '\(size)'. For \(model.id), \(problem).", param: "size", code: "invalid_value")
            }
            (width, height) = sides
        } else if gpt {
            guard OpenAICatalog.gptImageSizes.contains(size) else { throw .invalidValue("size", size, supported: OpenAICatalog.gptImageSizes) }
            (width, height) = size == "auto" ? autoSize : Self.sides(size) ?? autoSize
        } else if size == "auto" {
            (width, height) = (OpenAICatalog.localDefaultSide, OpenAICatalog.localDefaultSide)
        } else {
            guard let sides = Self.sides(size), OpenAICatalog.localSides.contains(sides.0), OpenAICatalog.localSides.contains(sides.1) else {
                let range = OpenAICatalog.localSides
                throw .invalid(
                    "Invalid value: '\(size)'. Supported values are WIDTHxHEIGHT with sides from \(range.lowerBound) to \(range.upperBound), and 'auto'.",
                    param: "size", code: "invalid_value")
            }
            (width, height) = sides
        }

        // A local server takes any quality and ignores it (LocalAI, sd-server).
        let quality = try (gpt ? reader.choice("quality", OpenAICatalog.gptImageQualities) : reader.string("quality")) ?? "auto"
        self.quality = quality == "auto" ? "medium" : quality

        if let format = try reader.choice("output_format", OpenAICatalog.outputFormats), format != "png" {
            // Imaging writes PNG only: refused rather than mislabelled.
            throw .invalid(
                "Invalid value: '\(format)'. This emulator writes PNG only: leave output_format out or send 'png'.", param: "output_format",
                code: "invalid_value")
        }
        _ = try reader.integer("output_compression", in: 0...100)
        background = try reader.choice("background", OpenAICatalog.backgrounds).map { $0 == "auto" ? "opaque" : $0 } ?? "opaque"
        if !edit { _ = try reader.choice("moderation", OpenAICatalog.moderations) }
        if edit { _ = try reader.choice("input_fidelity", ["high", "low"]) }
        _ = try reader.integer("partial_images", in: 0...3)
        if try reader.boolean("stream") == true {
            throw .invalid("Invalid value: 'stream'. This emulator does not stream: send stream false or leave it out.", param: "stream", code: "invalid_value")
        }
        user = try reader.string("user")

        if gpt {
            // GPT image models always answer base64 and refuse the parameter.
            if fields["response_format"].map({ $0 != .null }) ?? false { throw .unknownParameter("response_format") }
            responseFormat = "b64_json"
        } else {
            responseFormat = try reader.choice("response_format", OpenAICatalog.responseFormats) ?? "url"
        }
    }

    /// "WxH" as two positive integers.
    private static func sides(_ size: String) -> (Int, Int)? {
        let parts = size.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else { return nil }
        return (width, height)
    }

    /// Typed reads of the fields, with the API's type errors.
    private struct Reader {
        var fields: JSONObject
        var form: Bool

        func value(_ name: String) -> JSON? {
            guard let value = fields[name], value != .null else { return nil }
            return value
        }

        func string(_ name: String) throws(OpenAIError) -> String? {
            guard let value = value(name) else { return nil }
            guard let text = value.stringValue else { throw .invalidType(name, expected: "a string", got: value) }
            return text
        }

        func choice(_ name: String, _ choices: [String]) throws(OpenAIError) -> String? {
            guard let text = try string(name) else { return nil }
            guard choices.contains(text) else { throw .invalidValue(name, text, supported: choices) }
            return text
        }

        func integer(_ name: String, in range: ClosedRange<Int>) throws(OpenAIError) -> Int? {
            guard let value = value(name) else { return nil }
            let number = form ? value.stringValue.flatMap { Int($0) } : value.intValue
            guard let number else { throw .invalidType(name, expected: "an integer", got: value) }
            guard range.contains(number) else { throw .integerOutOfRange(name, number, range) }
            return number
        }

        func boolean(_ name: String) throws(OpenAIError) -> Bool? {
            guard let value = value(name) else { return nil }
            if form, let text = value.stringValue, let flag = Bool(text) { return flag }
            guard let flag = value.boolValue else { throw .invalidType(name, expected: "a boolean", got: value) }
            return flag
        }
    }
}
