import JSON

/// One generation as A1111's processing object holds it once resolved (its
/// `p`): what `info` reports and each image's infotext is written from.
struct A1111Processing: Sendable {
    var mode: A1111Request.Mode
    var prompt: String
    var negativePrompt: String
    var styles: [String]
    /// One per image: `seed + i` (all equal to `seed` with a variation seed).
    var seeds: [Int]
    var subseeds: [Int]
    var subseedStrength: JSON
    var seedResizeFrom: (width: Int, height: Int)
    var sampler: String
    /// The schedule's label; nil before 1.9, which had none apart.
    var scheduler: String?
    var cfgScale: JSON
    var steps: Int
    var batchSize: Int
    var iterations: Int
    var width: Int
    var height: Int
    var restoreFaces: Bool
    var tiling: Bool
    var checkpoint: A1111Catalog.Checkpoint
    var denoisingStrength: JSON
    var jobTimestamp: String
    /// The program version A1111 reports (`git describe` of its checkout).
    var version: String
    /// `opts.face_restoration_model`'s default.
    static let faceRestorationModel = "CodeFormer"

    var imageCount: Int { batchSize * iterations }

    /// `extra_generation_params`: img2img records its denoising strength.
    var extraParameters: JSONObject {
        mode == .imageToImage ? ["Denoising strength": denoisingStrength] : [:]
    }

    /// `create_infotext` for image `index` (`mainPrompt`: the grid's, with
    /// the first seed), with A1111's default options: model hash and name
    /// and version written, no VAE, no clip skip, no ENSD.
    func infotext(index: Int, mainPrompt: Bool = false) -> String {
        let position = mainPrompt ? 0 : index
        let variation = subseedStrength.doubleValue ?? 0 != 0
        var parameters: [(String, JSON)] = [
            ("Steps", .number(JSONNumber(steps))),
            ("Sampler", .string(sampler)),
            ("Schedule type", scheduler.map(JSON.string) ?? nil),
            ("CFG scale", cfgScale),
            ("Seed", .number(JSONNumber(seeds[position]))),
            ("Face restoration", restoreFaces ? .string(Self.faceRestorationModel) : nil),
            ("Size", .string("\(width)x\(height)")),
            ("Model hash", .string(checkpoint.shorthash)),
            ("Model", .string(checkpoint.modelName)),
            ("Variation seed", variation ? .number(JSONNumber(subseeds[position])) : nil),
            ("Variation seed strength", variation ? subseedStrength : nil),
            ("Seed resize from", seedResizeFrom.width <= 0 || seedResizeFrom.height <= 0 ? nil : .string("\(seedResizeFrom.width)x\(seedResizeFrom.height)")),
            ("Denoising strength", extraParameters["Denoising strength"] ?? nil),
            ("Tiling", tiling ? "True" : nil),
        ]
        for (key, value) in extraParameters where !parameters.contains(where: { $0.0 == key }) {
            parameters.append((key, value))
        }
        parameters.append(("Version", .string(version)))
        let line = parameters.filter { !$0.1.isNull }.map { key, value in
            let text = PythonFormat.str(value)
            return key == text ? key : "\(key): \(Self.quote(text))"
        }.joined(separator: ", ")
        let negative = negativePrompt.isEmpty ? "" : "\nNegative prompt: \(negativePrompt)"
        return pythonStrip("\(prompt)\(negative)\n\(line)")
    }

    /// infotext_utils.quote: a value with a comma, newline or colon goes in
    /// JSON quotes (non-ASCII kept).
    static func quote(_ text: String) -> String {
        guard text.contains(",") || text.unicodeScalars.contains("\n") || text.contains(":") else { return text }
        return PythonFormat.dumps(.string(text), ensureASCII: false)
    }

    /// `Processed.js()`: the `info` object, in its key order.
    func info(infotexts: [String], indexOfFirstImage: Int) -> JSON {
        let count = imageCount
        return [
            "prompt": .string(prompt),
            "all_prompts": .array(Array(repeating: .string(prompt), count: count)),
            "negative_prompt": .string(negativePrompt),
            "all_negative_prompts": .array(Array(repeating: .string(negativePrompt), count: count)),
            "seed": .number(JSONNumber(seeds[0])),
            "all_seeds": .array(seeds.map { .number(JSONNumber($0)) }),
            "subseed": .number(JSONNumber(subseeds[0])),
            "all_subseeds": .array(subseeds.map { .number(JSONNumber($0)) }),
            "subseed_strength": subseedStrength,
            "width": .number(JSONNumber(width)),
            "height": .number(JSONNumber(height)),
            "sampler_name": .string(sampler),
            "cfg_scale": cfgScale,
            "steps": .number(JSONNumber(steps)),
            "batch_size": .number(JSONNumber(batchSize)),
            "restore_faces": .bool(restoreFaces),
            "face_restoration_model": restoreFaces ? .string(Self.faceRestorationModel) : nil,
            "sd_model_name": .string(checkpoint.modelName),
            "sd_model_hash": .string(checkpoint.shorthash),
            "sd_vae_name": nil,
            "sd_vae_hash": nil,
            "seed_resize_from_w": .number(JSONNumber(seedResizeFrom.width)),
            "seed_resize_from_h": .number(JSONNumber(seedResizeFrom.height)),
            "denoising_strength": denoisingStrength,
            "extra_generation_params": .object(extraParameters),
            "index_of_first_image": .number(JSONNumber(indexOfFirstImage)),
            "infotexts": .array(infotexts.map(JSON.string)),
            "styles": .array(styles.map(JSON.string)),
            "job_timestamp": .string(jobTimestamp),
            "clip_skip": 1,
            "is_using_inpainting_conditioning": false,
            "version": .string(version),
        ]
    }
}
