import JSON

/// A validated `/generate` or `/img2img` body.
struct GenerationRequest: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case generate
        case imageToImage(initImage: String)
    }

    var kind: Kind
    var prompt: String
    var negativePrompt: String
    var model: String
    var sampler: String
    var imageCount: Int
    var token: String
    var cfgScale: Double
    var steps: Int
    var width: Int
    var height: Int

    /// The largest img2img side the emulator makes.
    static let maximumSide = 1024

    /// Validates a `/generate` body (ranges from the docs: image_count 1-5,
    /// cfg_scale 0-20 default 10, steps 1-30 default 30; model and sampler
    /// from the lists).
    static func generate(_ body: JSONObject, defaultSide: Int) -> Result<GenerationRequest, ValidationErrors> {
        var reader = BodyReader(body)
        let model = reader.string("model", required: true)
        let sampler = reader.string("sampler", required: true)
        let prompt = reader.string("prompt", required: true, nonEmpty: true)
        let negative = reader.string("negative_prompt", required: false, default: "")
        let count = reader.integer("image_count", required: true, in: 1...5)
        let token = reader.string("token", required: true)
        let cfg = reader.integer("cfg_scale", required: false, default: 10, in: 0...20)
        let steps = reader.integer("steps", required: false, default: 30, in: 1...30)
        if let model, !EmulatorCatalog.models.contains(model) {
            reader.errors.add("model", "the API doesn't have model '\(model)' (GET /models lists them)", type: "value_error.unknown_model")
        }
        if let sampler, !EmulatorCatalog.samplers.contains(sampler) {
            reader.errors.add("sampler", "the API doesn't have sampler '\(sampler)' (GET /samplers lists them)", type: "value_error.unknown_sampler")
        }
        guard reader.errors.isEmpty, let model, let sampler, let prompt, let negative, let count, let token, let cfg, let steps else {
            return .failure(reader.errors)
        }
        return .success(GenerationRequest(
            kind: .generate, prompt: prompt, negativePrompt: negative, model: model, sampler: sampler, imageCount: count,
            token: token, cfgScale: Double(cfg), steps: steps, width: defaultSide, height: defaultSide
        ))
    }

    /// Validates an `/img2img` body (the docs' defaults: steps 50, cfg_scale
    /// 7.0, 512 x 512; init_images one http(s) URL or a data:image URL; sides
    /// positive multiples of 8 up to 1024).
    static func imageToImage(_ body: JSONObject) -> Result<GenerationRequest, ValidationErrors> {
        var reader = BodyReader(body)
        let prompt = reader.string("prompt", required: true, nonEmpty: true)
        let token = reader.string("token", required: true)
        let images = reader.strings("init_images")
        let negative = reader.string("negative_prompt", required: false, default: "")
        let steps = reader.integer("steps", required: false, default: 50, in: 1...50)
        let cfg = reader.number("cfg_scale", default: 7, in: 0...20)
        let width = reader.integer("width", required: false, default: 512, in: 8...maximumSide)
        let height = reader.integer("height", required: false, default: 512, in: 8...maximumSide)
        if let images {
            if images.count != 1 {
                reader.errors.add("init_images", "exactly one image is accepted, got \(images.count)", type: "value_error.list.size")
            } else if !(images[0].hasPrefix("http://") || images[0].hasPrefix("https://") || images[0].hasPrefix("data:image/")) {
                reader.errors.add("init_images.0", "expected an http(s) URL or a data:image/...;base64 URL", type: "value_error.url")
            }
        }
        for (field, side) in [("width", width), ("height", height)] {
            if let side, side % 8 != 0 {
                reader.errors.add(field, "must be a multiple of 8, got \(side)", type: "value_error.multiple_of", context: ["multiple_of": 8])
            }
        }
        guard reader.errors.isEmpty, let prompt, let token, let images, let negative, let steps, let cfg, let width, let height else {
            return .failure(reader.errors)
        }
        return .success(GenerationRequest(
            kind: .imageToImage(initImage: images[0]), prompt: prompt, negativePrompt: negative, model: "img2img", sampler: "Euler a",
            imageCount: 1, token: token, cfgScale: cfg, steps: steps, width: width, height: height
        ))
    }

    /// A 64-bit key for the images of this request: same parameters (and
    /// emulator seed), same pictures.
    func imageKey(seed: UInt64) -> UInt64 {
        var hash = FNV1a(seed: seed)
        for part in [prompt, negativePrompt, model, sampler, String(cfgScale), String(steps)] {
            hash.add(part)
        }
        if case .imageToImage(let initImage) = kind { hash.add(initImage) }
        return hash.value
    }
}

/// FNV-1a, 64-bit: a small stable hash (Swift's Hasher is seeded per run).
struct FNV1a {
    private(set) var value: UInt64

    init(seed: UInt64 = 0) {
        value = 0xcbf2_9ce4_8422_2325 ^ seed
    }

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        value ^= 0xFF  // separates "ab","c" from "a","bc"
        value &*= 0x0000_0100_0000_01B3
    }
}
