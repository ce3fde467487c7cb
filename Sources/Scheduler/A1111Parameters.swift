import Jobs
import JSON
import PluginHost

/// The `parameters` text that AUTOMATIC1111 writes into its PNGs, which "PNG
/// info" readers (A1111, ComfyUI, Civitai, exiftool) show:
///
/// ```
/// a lighthouse at dusk
/// Negative prompt: blurry
/// Steps: 30, Sampler: Euler, CFG scale: 10, Size: 1024x1024, Model: anything_V5, Postprocessing: upscale, Postprocess upscale by: 2, Job: 01J..., Image: 1 of 3
/// ```
///
/// A1111's reader (`parse_generation_parameters`) takes the last line as the
/// parameters only when at least three `Key: value` pairs match on it, and
/// everything else as the prompt, so everything this text says goes on that
/// one line, post-processing included; values are quoted as A1111's `quote`
/// does (JSON), and whenever its reader could not read one back. A prompt
/// the free-text lines cannot carry exactly (a line that starts with
/// "Negative prompt:", or with or ending in spaces) is also given as
/// `Prompt:` and `Negative prompt:` pairs, which that reader puts over what
/// it read from the lines.
///
/// Only what is known is written: `Model` when the job named one, `Size` the
/// saved image's, `Seed` when the backend reported the one the image used.
enum A1111Parameters {
    /// The text for image `index` of a job, saved at `width`x`height` after
    /// the image plugin steps `postprocessing` (in order); `seed` is the one
    /// the backend reported for it.
    static func text(
        for parameters: JobRequest, jobID: String, index: Int, width: Int, height: Int, seed: Int? = nil,
        postprocessing: [(step: PluginStep, options: [PluginOption]?)] = []
    ) -> String {
        var text = parameters.prompt
        if !parameters.negativePrompt.isEmpty {
            text += "\nNegative prompt: \(parameters.negativePrompt)"
        }
        var fields: [(key: String, value: String)] = []
        if let steps = parameters.steps { fields.append(("Steps", String(steps))) }
        if let sampler = parameters.sampler { fields.append(("Sampler", sampler)) }
        if let scheduler = parameters.scheduler { fields.append(("Schedule type", scheduler)) }
        if let cfg = parameters.cfgScale {
            fields.append(("CFG scale", cfg.rounded() == cfg ? String(Int(cfg)) : String(cfg)))
        }
        // A1111's order: Schedule type before CFG scale, Seed after it.
        if let seed { fields.append(("Seed", String(seed))) }
        fields.append(("Size", "\(width)x\(height)"))
        if let model = parameters.model { fields.append(("Model", model)) }
        if parameters.isImageToImage { fields.append(("Denoising source", "init image")) }
        if !postprocessing.isEmpty {
            fields.append(("Postprocessing", postprocessing.map(\.step.name).joined(separator: ", ")))
            for (step, options) in postprocessing { fields += pairs(of: step, declared: options) }
        }
        fields.append(("Job", jobID))
        fields.append(("Image", "\(index + 1) of \(parameters.imageCount)"))
        var line = fields.map { "\($0.key): \(quotedIfNeeded($0.value))" }
        if !readsBack(prompt: parameters.prompt, negative: parameters.negativePrompt) {
            line.append("Prompt: \(quoted(parameters.prompt))")
            line.append("Negative prompt: \(quoted(parameters.negativePrompt))")
        }
        return text + "\n" + line.joined(separator: ", ")
    }

    /// A backend's own text for image `index` of a job (AUTOMATIC1111's
    /// infotext, exactly what it writes into its PNGs), with what the job
    /// adds put on its parameter line: the post-processing that ran, the job
    /// and the image's place in it.
    static func text(
        extending backendText: String, jobID: String, index: Int, imageCount: Int,
        postprocessing: [(step: PluginStep, options: [PluginOption]?)] = []
    ) -> String {
        var fields: [(key: String, value: String)] = []
        if !postprocessing.isEmpty {
            fields.append(("Postprocessing", postprocessing.map(\.step.name).joined(separator: ", ")))
            for (step, options) in postprocessing { fields += pairs(of: step, declared: options) }
        }
        fields.append(("Job", jobID))
        fields.append(("Image", "\(index + 1) of \(imageCount)"))
        var text = backendText
        while text.last?.isNewline == true { text.removeLast() }
        return text + ", " + fields.map { "\($0.key): \(quotedIfNeeded($0.value))" }.joined(separator: ", ")
    }

    /// A step's options as A1111 names post-processing (`Postprocess
    /// upscale by: 2`): the key the plugin declares for the option, else
    /// `Postprocess <plugin> <option>`; in the order given.
    static func pairs(of step: PluginStep, declared: [PluginOption]?) -> [(key: String, value: String)] {
        guard case .object(let options) = step.options else { return [] }
        return options.map { key, value in
            let label = declared?.first { $0.name == key }?.infotext ?? "Postprocess \(step.name) \(key)"
            return (readableKey(label), value.stringValue ?? JSONSerializer.serializeToString(value))
        }
    }

    /// `key` with what A1111's key pattern (`\\w[\\w \\-/]+`) does not take
    /// made `_`, so that the pair is read at all.
    private static func readableKey(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "_ -/".unicodeScalars.contains(scalar) ? scalar : "_"
        }))
    }

    /// Whether A1111's reader gets `prompt` and `negative` back from the
    /// free-text lines: it strips each line and the whole text, and starts
    /// the negative prompt at the first line beginning "Negative prompt:".
    private static func readsBack(prompt: String, negative: String) -> Bool {
        func linesRead(_ text: String) -> Bool {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            guard let first = lines.first, !first.isEmpty else { return false }
            return lines.allSatisfy { line in
                !line.hasPrefix("Negative prompt:") && line.unicodeScalars.first.map(isSpace) != true
                    && line.unicodeScalars.last.map(isSpace) != true
            }
        }
        return linesRead(prompt) && (negative.isEmpty || linesRead(negative))
    }

    /// Python's `str.isspace` for one character, which `strip` removes.
    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// A1111 quotes a value holding a comma, a colon or a newline. So does
    /// this, and also one its reader would not read back as it is: empty,
    /// with a quote or a control character, or with spaces at an end.
    private static func quotedIfNeeded(_ value: String) -> String {
        let scalars = value.unicodeScalars
        let plain = !scalars.isEmpty && !isSpace(scalars.first!) && !isSpace(scalars.last!)
            && !scalars.contains { $0 == "," || $0 == ":" || $0 == "\"" || $0.value < 0x20 || $0.value == 0x7F }
        return plain ? value : quoted(value)
    }

    /// `json.dumps(value, ensure_ascii=False)`, which A1111's `unquote` reads.
    private static func quoted(_ value: String) -> String {
        JSONSerializer.serializeToString(.string(value))
    }
}
