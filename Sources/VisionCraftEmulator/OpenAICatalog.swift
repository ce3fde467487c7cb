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

        var json: JSON {
            ["id": .string(id), "object": "model", "created": .number(JSONNumber(created)), "owned_by": .string(ownedBy)]
        }
    }

    static let models = [
        Model(id: "gpt-image-1", created: 1_745_517_030, ownedBy: "system", kind: .gptImage),
        Model(id: "gpt-image-1-mini", created: 1_759_779_200, ownedBy: "system", kind: .gptImage),
        Model(id: "gpt-image-1.5", created: 1_765_497_600, ownedBy: "system", kind: .gptImage),
        Model(id: "stablediffusion", created: 1_700_000_000, ownedBy: "localai", kind: .localImage),
        Model(id: "gpt-4o-mini", created: 1_721_172_741, ownedBy: "system", kind: .chat),
    ]

    /// The model a request that names none gets.
    static let defaultModel = "gpt-image-1"

    static func model(_ id: String) -> Model? { models.first { $0.id == id } }

    /// The GPT image models' sizes, "auto" last as the API lists it.
    static let gptImageSizes = ["1024x1024", "1536x1024", "1024x1536", "auto"]
    /// A local model's sides in pixels.
    static let localSides = 64...2048
    /// The size "auto" (and no size) means for a local model.
    static let localDefaultSide = 512

    static let gptImageQualities = ["low", "medium", "high", "auto"]
    static let localQualities = ["standard", "auto"]
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
