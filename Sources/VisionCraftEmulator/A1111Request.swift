import JSON

/// A txt2img or img2img body as AUTOMATIC1111's request model reads it. The
/// model is generated from the processing classes' `__init__` parameters
/// (modules/api/models.py): every field optional, with the class's default;
/// values coerced as pydantic 1 coerces them ("30" and 30.7 are the integer
/// 30, 7 is the float 7.0, 5 is the string "5"); unknown fields ignored.
struct A1111Request: Sendable {
    /// Which endpoint's model.
    enum Mode: Sendable {
        case textToImage, imageToImage
    }

    /// A field's declared type.
    enum FieldType: Sendable {
        case string, integer, float, boolean, dictionary, list, strings, any
    }

    struct Field: Sendable {
        let name: String
        let type: FieldType
        let defaultValue: JSON
    }

    let mode: Mode
    let release: A1111Release
    /// Every field of the model, in its order, with the value read or its
    /// default: what the answer's `parameters` echoes.
    private(set) var values: JSONObject

    /// The fields of `StableDiffusionProcessing`'s `__init__` the API allows,
    /// in order (the base class's defaults win over a subclass's: models.py
    /// merges the signatures base last).
    private static let processingFields: [Field] = [
        Field(name: "prompt", type: .string, defaultValue: ""),
        Field(name: "negative_prompt", type: .string, defaultValue: ""),
        Field(name: "styles", type: .strings, defaultValue: nil),
        Field(name: "seed", type: .integer, defaultValue: -1),
        Field(name: "subseed", type: .integer, defaultValue: -1),
        Field(name: "subseed_strength", type: .float, defaultValue: 0),
        Field(name: "seed_resize_from_h", type: .integer, defaultValue: -1),
        Field(name: "seed_resize_from_w", type: .integer, defaultValue: -1),
        Field(name: "sampler_name", type: .string, defaultValue: nil),
        Field(name: "scheduler", type: .string, defaultValue: nil),
        Field(name: "batch_size", type: .integer, defaultValue: 1),
        Field(name: "n_iter", type: .integer, defaultValue: 1),
        Field(name: "steps", type: .integer, defaultValue: 50),
        Field(name: "cfg_scale", type: .float, defaultValue: 7.0),
        Field(name: "width", type: .integer, defaultValue: 512),
        Field(name: "height", type: .integer, defaultValue: 512),
        Field(name: "restore_faces", type: .boolean, defaultValue: nil),
        Field(name: "tiling", type: .boolean, defaultValue: nil),
        Field(name: "do_not_save_samples", type: .boolean, defaultValue: false),
        Field(name: "do_not_save_grid", type: .boolean, defaultValue: false),
        Field(name: "eta", type: .float, defaultValue: nil),
        Field(name: "denoising_strength", type: .float, defaultValue: nil),
        Field(name: "s_min_uncond", type: .float, defaultValue: nil),
        Field(name: "s_churn", type: .float, defaultValue: nil),
        Field(name: "s_tmax", type: .float, defaultValue: nil),
        Field(name: "s_tmin", type: .float, defaultValue: nil),
        Field(name: "s_noise", type: .float, defaultValue: nil),
        Field(name: "override_settings", type: .dictionary, defaultValue: nil),
        Field(name: "override_settings_restore_afterwards", type: .boolean, defaultValue: true),
        Field(name: "refiner_checkpoint", type: .string, defaultValue: nil),
        Field(name: "refiner_switch_at", type: .float, defaultValue: nil),
        Field(name: "disable_extra_networks", type: .boolean, defaultValue: false),
        Field(name: "firstpass_image", type: .string, defaultValue: nil),
        Field(name: "comments", type: .dictionary, defaultValue: nil),
    ]

    /// `StableDiffusionProcessingTxt2Img`'s own fields (hires fix: echoed, not emulated).
    private static let textToImageFields: [Field] = [
        Field(name: "enable_hr", type: .boolean, defaultValue: false),
        Field(name: "firstphase_width", type: .integer, defaultValue: 0),
        Field(name: "firstphase_height", type: .integer, defaultValue: 0),
        Field(name: "hr_scale", type: .float, defaultValue: 2.0),
        Field(name: "hr_upscaler", type: .string, defaultValue: nil),
        Field(name: "hr_second_pass_steps", type: .integer, defaultValue: 0),
        Field(name: "hr_resize_x", type: .integer, defaultValue: 0),
        Field(name: "hr_resize_y", type: .integer, defaultValue: 0),
        Field(name: "hr_checkpoint_name", type: .string, defaultValue: nil),
        Field(name: "hr_sampler_name", type: .string, defaultValue: nil),
        Field(name: "hr_scheduler", type: .string, defaultValue: nil),
        Field(name: "hr_prompt", type: .string, defaultValue: ""),
        Field(name: "hr_negative_prompt", type: .string, defaultValue: ""),
        Field(name: "force_task_id", type: .string, defaultValue: nil),
    ]

    /// `StableDiffusionProcessingImg2Img`'s own fields (masks: read, not applied).
    private static let imageToImageFields: [Field] = [
        Field(name: "init_images", type: .list, defaultValue: nil),
        Field(name: "resize_mode", type: .integer, defaultValue: 0),
        Field(name: "image_cfg_scale", type: .float, defaultValue: nil),
        Field(name: "mask", type: .any, defaultValue: nil),
        Field(name: "mask_blur_x", type: .integer, defaultValue: 4),
        Field(name: "mask_blur_y", type: .integer, defaultValue: 4),
        Field(name: "mask_blur", type: .integer, defaultValue: nil),
        Field(name: "mask_round", type: .boolean, defaultValue: true),
        Field(name: "inpainting_fill", type: .integer, defaultValue: 0),
        Field(name: "inpaint_full_res", type: .boolean, defaultValue: true),
        Field(name: "inpaint_full_res_padding", type: .integer, defaultValue: 0),
        Field(name: "inpainting_mask_invert", type: .integer, defaultValue: 0),
        Field(name: "initial_noise_multiplier", type: .float, defaultValue: nil),
        Field(name: "latent_mask", type: .string, defaultValue: nil),
        Field(name: "force_task_id", type: .string, defaultValue: nil),
    ]

    /// The fields models.py adds; one already present keeps its place and
    /// takes the added type and default.
    private static func addedFields(_ mode: Mode) -> [Field] {
        var fields = [Field(name: "sampler_index", type: .string, defaultValue: "Euler")]
        if mode == .imageToImage {
            fields += [
                Field(name: "init_images", type: .list, defaultValue: nil),
                Field(name: "denoising_strength", type: .float, defaultValue: 0.75),
                Field(name: "mask", type: .string, defaultValue: nil),
                Field(name: "include_init_images", type: .boolean, defaultValue: false),
            ]
        }
        return fields + [
            Field(name: "script_name", type: .string, defaultValue: nil),
            Field(name: "script_args", type: .list, defaultValue: []),
            Field(name: "send_images", type: .boolean, defaultValue: true),
            Field(name: "save_images", type: .boolean, defaultValue: false),
            Field(name: "alwayson_scripts", type: .dictionary, defaultValue: [:]),
            Field(name: "force_task_id", type: .string, defaultValue: nil),
            Field(name: "infotext", type: .string, defaultValue: nil),
        ]
    }

    /// The model's fields in order (before 1.9, no scheduler fields).
    static func fields(_ mode: Mode, _ release: A1111Release) -> [Field] {
        var fields = processingFields + (mode == .textToImage ? textToImageFields : imageToImageFields)
        if !release.hasSchedulers { fields.removeAll { $0.name == "scheduler" || $0.name == "hr_scheduler" } }
        for added in addedFields(mode) {
            if let position = fields.firstIndex(where: { $0.name == added.name }) {
                fields[position] = added
            } else {
                fields.append(added)
            }
        }
        return fields
    }

    /// Reads a body; the errors are FastAPI's 422 (`{"detail": [...]}`).
    /// FastAPI parses JSON only without a Content-Type or with a JSON one:
    /// `curl -d` (a form's type) sends a string where the model wants a dict.
    static func parse(_ body: [UInt8], contentType: String?, mode: Mode, release: A1111Release) -> Result<A1111Request, ValidationErrors> {
        var errors = ValidationErrors()
        if body.isEmpty {
            errors.add(location: [], "field required", type: "value_error.missing")
            return .failure(errors)
        }
        if let contentType, !isJSON(contentType) {
            errors.add(location: [], "value is not a valid dict", type: "type_error.dict")
            return .failure(errors)
        }
        let object: JSONObject
        do {
            guard case .object(let parsed) = try JSONParser.parse(body) else {
                errors.add(location: [], "value is not a valid dict", type: "type_error.dict")
                return .failure(errors)
            }
            object = parsed
        } catch {
            errors.add(location: [.number(JSONNumber(error.offset))], "JSON decode error", type: "value_error.jsondecode")
            return .failure(errors)
        }
        var values = JSONObject()
        for field in fields(mode, release) {
            guard let given = object[field.name], given != .null else {
                values[field.name] = object[field.name] == nil ? field.defaultValue : .null
                continue
            }
            if let value = coerce(given, to: field.type, at: field.name, errors: &errors) {
                values[field.name] = value
            }
        }
        return errors.isEmpty ? .success(A1111Request(mode: mode, release: release, values: values)) : .failure(errors)
    }

    /// `application/json` or `application/*+json`, parameters aside.
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { pythonStrip(String($0)).lowercased() } ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// Pydantic 1's validators for one value (null was handled: every field is Optional).
    private static func coerce(_ value: JSON, to type: FieldType, at name: String, errors: inout ValidationErrors) -> JSON? {
        switch type {
        case .any:
            return value
        case .string:
            if let text = string(value) { return .string(text) }
            errors.add(name, "str type expected", type: "type_error.str")
        case .integer:
            if let integer = integer(value) { return .number(JSONNumber(integer)) }
            errors.add(name, "value is not a valid integer", type: "type_error.integer")
        case .float:
            if let number = float(value), let json = JSONNumber(number) { return .number(json) }
            errors.add(name, "value is not a valid float", type: "type_error.float")
        case .boolean:
            if let flag = boolean(value) { return .bool(flag) }
            errors.add(name, "value could not be parsed to a boolean", type: "type_error.bool")
        case .dictionary:
            if case .object = value { return value }
            errors.add(name, "value is not a valid dict", type: "type_error.dict")
        case .list:
            if case .array = value { return value }
            errors.add(name, "value is not a valid list", type: "type_error.list")
        case .strings:
            guard case .array(let items) = value else {
                errors.add(name, "value is not a valid list", type: "type_error.list")
                return nil
            }
            var texts: [JSON] = []
            var valid = true
            for (index, item) in items.enumerated() {
                if let text = string(item) {
                    texts.append(.string(text))
                } else {
                    errors.add(location: [.string(name), .number(JSONNumber(index))], "str type expected", type: "type_error.str")
                    valid = false
                }
            }
            return valid ? .array(texts) : nil
        }
        return nil
    }

    /// `str_validator`: strings, and numbers as `str()` writes them (True is "True").
    private static func string(_ value: JSON) -> String? {
        switch value {
        case .string(let text): text
        case .number, .bool: PythonFormat.str(value)
        default: nil
        }
    }

    /// `int_validator`: `int(v)`: integers, floats truncated, true as 1,
    /// strings of digits (with sign, blanks and underscores between digits).
    private static func integer(_ value: JSON) -> Int? {
        switch value {
        case .bool(let flag): return flag ? 1 : 0
        case .number(let number):
            if let exact = number.int { return exact }
            let double = number.double
            guard double.isFinite, abs(double) < 9.2e18 else { return nil }
            return Int(double.rounded(.towardZero))
        case .string(let text):
            let trimmed = pythonStrip(text)
            var digits = Substring(trimmed)
            var sign = ""
            if let first = digits.first, first == "+" || first == "-" {
                sign = first == "-" ? "-" : ""
                digits = digits.dropFirst()
            }
            guard let first = digits.first, let last = digits.last, first != "_", last != "_", !digits.contains("__") else { return nil }
            let plain = digits.filter { $0 != "_" }
            guard plain.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(sign + plain)
        default: return nil
        }
    }

    /// `float_validator`: `float(v)`: numbers, true as 1.0, numeric strings
    /// (including "inf" and "nan", which JSON cannot carry back: refused here).
    private static func float(_ value: JSON) -> Double? {
        switch value {
        case .bool(let flag): return flag ? 1 : 0
        case .number(let number): return number.double
        case .string(let text):
            let trimmed = pythonStrip(text).filter { $0 != "_" }
            guard let number = Double(trimmed), number.isFinite else { return nil }
            return number
        default: return nil
        }
    }

    /// `bool_validator`: true/false, 0/1, and "1", "on", "t", "true", "y",
    /// "yes" (or their opposites) in any case.
    private static func boolean(_ value: JSON) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .number(let number):
            if number.double == 1 { return true }
            if number.double == 0 { return false }
            return nil
        case .string(let text):
            let lower = text.lowercased()
            if ["1", "on", "t", "true", "y", "yes"].contains(lower) { return true }
            if ["0", "off", "f", "false", "n", "no"].contains(lower) { return false }
            return nil
        default: return nil
        }
    }

    // MARK: Reading the values

    // A null reads as the field's default here (A1111 itself would fail
    // further on for most fields); `values` keeps it for the echo.

    /// The value of a field, or its default when absent or null.
    func value(_ name: String) -> JSON {
        if let value = values[name], !value.isNull { return value }
        return Self.fields(mode, release).first { $0.name == name }?.defaultValue ?? .null
    }

    func string(_ name: String) -> String? { value(name).stringValue }
    func integer(_ name: String) -> Int? { value(name).intValue }
    func flag(_ name: String) -> Bool? { value(name).boolValue }
}

/// Python's `str.strip()`: whitespace off both ends.
func pythonStrip(_ text: String) -> String {
    let scalars = Array(text.unicodeScalars)
    func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
    guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(String.UnicodeScalarView(scalars[first...last]))
}
