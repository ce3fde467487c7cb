import JSON

/// The models `GET /v1/models` lists and what each takes. OpenAI renames
/// its models often, so clients should read them from /v1/models; the
/// catalog holds the GPT image models, one local model answering URLs as
/// servers with OpenAI's shape do (LocalAI), and one chat model that
/// cannot make images.
enum OpenAICatalog {
    /// What a model can do.
    enum Kind: Equatable {
        /// OpenAI's GPT image models: three sizes or "auto", base64 only.
        case gptImage
        /// A local server's model: any WxH, url (the default) or b64_json.
        case localImage
        case chat
    }

    struct Model {
        var id: String
        var created: Int
        var ownedBy: String
        var kind: Kind
        /// gpt-image-2's sizes: any WIDTHxHEIGHT within `flexibleSizes`'
        /// rules, besides the standard three and "auto".
        var anySize = false

        var json: JSON {
            ["id": .string(id), "object": "model", "created": .number(JSONNumber(created)), "owned_by": .string(ownedBy)]
        }
    }

    static let models = [
        Model(id: "gpt-image-1", created: 1_745_517_030, ownedBy: "system", kind: .gptImage),
        Model(id: "gpt-image-1-mini", created: 1_759_779_200, ownedBy: "system", kind: .gptImage),
        Model(id: "gpt-image-1.5", created: 1_765_497_600, ownedBy: "system", kind: .gptImage),
        Model(id: "gpt-image-2", created: 1_776_729_600, ownedBy: "system", kind: .gptImage, anySize: true),
        Model(id: "gpt-image-2-2026-04-21", created: 1_776_729_600, ownedBy: "system", kind: .gptImage, anySize: true),
        Model(id: "chatgpt-image-latest", created: 1_765_497_600, ownedBy: "system", kind: .gptImage),
        Model(id: "stablediffusion", created: 1_700_000_000, ownedBy: "localai", kind: .localImage),
        Model(id: "gpt-4o-mini", created: 1_721_172_741, ownedBy: "system", kind: .chat),
    ]

    /// The model a request that names none gets.
    static let defaultModel = "gpt-image-1"

    static func model(_ id: String) -> Model? { models.first { $0.id == id } }

    /// The GPT image models' sizes, "auto" last as the API lists it.
    static let gptImageSizes = ["1024x1024", "1536x1024", "1024x1536", "auto"]
    /// gpt-image-2's free sizes, as the API reference states them: both
    /// sides multiples of 16, an aspect ratio from 1:3 to 3:1, at most
    /// 3840x2160 (either way round).
    enum FlexibleSizes {
        static let multiple = 16
        static let longestSide = 3840
        static let shortestLongSide = 2160
        static let maximumRatio = 3

        /// Why `width` x `height` is refused; nil when taken.
        static func problem(width: Int, height: Int) -> String? {
            let (long, short) = (max(width, height), min(width, height))
            if width % multiple != 0 || height % multiple != 0 { return "width and height must both be divisible by \(multiple)" }
            if long > short * maximumRatio { return "the aspect ratio must be between 1:\(maximumRatio) and \(maximumRatio):1" }
            if long > longestSide || short > shortestLongSide { return "the maximum supported resolution is \(longestSide)x\(shortestLongSide)" }
            return nil
        }
    }

    /// A local model's sides in pixels.
    static let localSides = 64...2048
    /// The size "auto" (and no size) means for a local model.
    static let localDefaultSide = 512

    static let gptImageQualities = ["low", "medium", "high", "auto"]
    static let outputFormats = ["png", "jpeg", "webp"]
    static let backgrounds = ["transparent", "opaque", "auto"]
    static let moderations = ["low", "auto"]
    static let responseFormats = ["url", "b64_json"]
    static let imageCount = 1...10
    /// How many images one edit takes (`image[]`).
    static let editImages = 1...16

    /// The output tokens one image costs (OpenAI's published table for
    /// gpt-image-1): square, then portrait or landscape, per quality.
    static func outputTokens(quality: String, square: Bool) -> Int {
        switch quality {
        case "low": square ? 272 : 408
        case "high": square ? 4160 : 6240
        default: square ? 1056 : 1584
        }
    }

    /// The input tokens an edit's image costs.
    static let inputImageTokens = 323
}
