import VisionCraftProtocol

/// The `parameters` text that AUTOMATIC1111 writes into its PNGs, which "PNG
/// info" readers (A1111, ComfyUI, Civitai, exiftool) show:
///
/// ```
/// a lighthouse at dusk
/// Negative prompt: blurry
/// Steps: 30, Sampler: Euler, CFG scale: 10, Size: 512x512, Model: anything_V5, Job: 01J..., Image: 1 of 3
/// ```
///
/// The seed is left out: the service does not report it.
enum A1111Parameters {
    static func text(for parameters: JobParameters, jobID: String, index: Int, width: Int?, height: Int?) -> String {
        var lines = [parameters.prompt]
        if !parameters.negativePrompt.isEmpty {
            lines.append("Negative prompt: \(parameters.negativePrompt)")
        }
        var fields: [(String, String)] = []
        if let steps = parameters.steps { fields.append(("Steps", String(steps))) }
        if let sampler = parameters.sampler { fields.append(("Sampler", sampler)) }
        if let cfg = parameters.cfgScale {
            fields.append(("CFG scale", cfg.rounded() == cfg ? String(Int(cfg)) : String(cfg)))
        }
        if let width, let height { fields.append(("Size", "\(width)x\(height)")) }
        fields.append(("Model", parameters.model ?? "img2img"))
        if parameters.isImageToImage { fields.append(("Denoising source", "init image")) }
        fields.append(("Job", jobID))
        fields.append(("Image", "\(index + 1) of \(parameters.imageCount)"))
        lines.append(fields.map { "\($0.0): \(quoted($0.1))" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// A1111 quotes values that hold a comma, a colon or a quote.
    private static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == ":" || $0 == "\"" || $0 == "\n" }) else { return value }
        var escaped = "\""
        for character in value {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }
}
