import Imaging
import JSON

/// What a validated graph makes, read backwards from a SaveImage (or
/// PreviewImage) node: VAEDecode -> KSampler or KSamplerAdvanced (seed,
/// steps, positive text) -> EmptyLatentImage (size, batch), RepeatLatentBatch
/// (the batch repeated) or VAEEncode -> LoadImage (the upload's size). The
/// synthesizer draws the pictures from the key.
enum ComfyUIRender {
    struct Picture: Equatable {
        var width: Int
        var height: Int
        var count: Int
        var key: UInt64
        /// The sampling steps on the way, which `--step-time` paces.
        var steps: Int
    }

    /// The pictures SaveImage `saveNode` writes; nil when the graph does
    /// not reach a picture this way.
    static func picture(_ prompt: JSONObject, saveNode: String, files: [String: [UInt8]], seed: UInt64) -> Picture? {
        var walker = Walker(prompt: prompt, files: files, seed: seed)
        return walker.image(linked(prompt, saveNode, "images"))
    }

    /// The node an input links to.
    static func linked(_ prompt: JSONObject, _ id: String?, _ input: String) -> String? {
        guard let id, case .array(let link)? = prompt[id]?["inputs"]?[input], link.count == 2 else { return nil }
        return link[0].stringValue ?? link[0].numberValue?.text
    }

    /// int() of a widget value.
    static func integer(_ value: JSON?) -> Int? {
        switch value {
        case .number(let number)?: number.int ?? Int(exactly: number.double.rounded(.towardZero))
        case .string(let text)?: Int(text)
        case .bool(let flag)?: flag ? 1 : 0
        default: nil
        }
    }

    private struct Walker {
        let prompt: JSONObject
        let files: [String: [UInt8]]
        let seed: UInt64
        /// Guards against cycles, which validation lets through.
        var depth = 0

        func inputs(_ id: String) -> JSON? { prompt[id]?["inputs"] }

        mutating func image(_ id: String?) -> Picture? {
            guard let id, depth < 64 else { return nil }
            depth += 1
            switch prompt[id]?["class_type"]?.stringValue {
            case "VAEDecode": return latent(ComfyUIRender.linked(prompt, id, "samples"))
            case "LoadImage":
                let name = inputs(id)?["image"]?.stringValue ?? ""
                let (folder, file) = name.lastIndex(of: "/").map { (String(name[..<$0]), String(name[name.index(after: $0)...])) } ?? ("", name)
                guard let bytes = files["input/\(folder)/\(file)"] else { return nil }
                let size = (try? PNGCodec.size(of: bytes)) ?? (width: 512, height: 512)
                return Picture(width: size.width, height: size.height, count: 1, key: A1111Pictures.mix(seed, bytes), steps: 0)
            default: return nil
            }
        }

        mutating func latent(_ id: String?) -> Picture? {
            guard let id, depth < 64 else { return nil }
            depth += 1
            let fields = inputs(id)
            switch prompt[id]?["class_type"]?.stringValue {
            case "EmptyLatentImage":
                // The latent is an eighth of the size: VAEDecode gives multiples of 8.
                let width = (ComfyUIRender.integer(fields?["width"]) ?? 512) / 8 * 8
                let height = (ComfyUIRender.integer(fields?["height"]) ?? 512) / 8 * 8
                return Picture(width: width, height: height, count: ComfyUIRender.integer(fields?["batch_size"]) ?? 1, key: seed, steps: 0)
            case "VAEEncode":
                return image(ComfyUIRender.linked(prompt, id, "pixels"))
            case "RepeatLatentBatch":
                guard var picture = latent(ComfyUIRender.linked(prompt, id, "samples")) else { return nil }
                picture.count *= ComfyUIRender.integer(fields?["amount"]) ?? 1
                return picture
            case "KSampler", "KSamplerAdvanced":
                guard var picture = latent(ComfyUIRender.linked(prompt, id, "latent_image")) else { return nil }
                let text = ComfyUIRender.linked(prompt, id, "positive").flatMap { inputs($0)?["text"]?.stringValue } ?? ""
                let seedInput = prompt[id]?["class_type"]?.stringValue == "KSampler" ? "seed" : "noise_seed"
                let samplerSeed = fields?[seedInput].map(PythonFormat.str) ?? "0"
                picture.key = A1111Pictures.mix(picture.key, Array("\(samplerSeed)\u{0}\(text)".utf8))
                picture.steps += ComfyUIRender.integer(fields?["steps"]) ?? 20
                return picture
            default: return nil
            }
        }
    }
}
