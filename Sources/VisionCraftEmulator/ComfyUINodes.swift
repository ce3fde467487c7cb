import JSON

/// The standard nodes the ComfyUI emulator runs, as nodes.py declares them
/// (INPUT_TYPES, RETURN_TYPES, OUTPUT_NODE), and the sampler and scheduler
/// names of comfy/samplers.py. Validation and `/object_info` both read them.
enum ComfyUINodes {
    /// One input: its type ("INT", "FLOAT", "STRING", a link type such as
    /// "MODEL", or a list of choices) and its options as ComfyUI writes them.
    struct Input {
        enum Kind {
            case int(default: Int, min: Int, max: UInt64)
            case float(default: Double, min: Double, max: Double, step: Double)
            case string(default: String, multiline: Bool)
            case choices(Choices)
            case link(String)
        }

        /// Choice lists filled in from the catalog at answer time, or a
        /// node's own fixed list.
        enum Choices: Equatable { case checkpoints, loras, samplers, schedulers, inputImages, fixed([String]) }

        var name: String
        var kind: Kind
    }

    struct Node {
        var name: String
        var displayName: String
        var category: String
        var inputs: [Input]
        var outputs: [String]
        var outputNames: [String]
        var isOutput: Bool
    }

    /// KSAMPLER_NAMES then SAMPLER_NAMES' additions, in comfy/samplers.py's order.
    static let samplers = [
        "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2", "dpm_2_ancestral",
        "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu",
        "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm",
        "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "gradient_estimation", "er_sde", "ddim", "uni_pc", "uni_pc_bh2",
    ]

    /// SCHEDULER_NAMES.
    static let schedulers = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"]

    /// The checkpoints the emulator's models/checkpoints folder holds.
    static let checkpoints = ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors", "dreamshaper_8.safetensors"]
    /// The LoRAs its models/loras folder holds.
    static let loras = ["add_detail.safetensors", "pixel_art_xl.safetensors"]

    /// nodes.py's MAX_RESOLUTION.
    static let maximumResolution = 16384

    /// The inputs KSampler and KSamplerAdvanced share, in their order
    /// after the seed.
    static let samplingInputs = [
        Input(name: "steps", kind: .int(default: 20, min: 1, max: 10000)),
        Input(name: "cfg", kind: .float(default: 8, min: 0, max: 100, step: 0.1)),
        Input(name: "sampler_name", kind: .choices(.samplers)),
        Input(name: "scheduler", kind: .choices(.schedulers)),
        Input(name: "positive", kind: .link("CONDITIONING")),
        Input(name: "negative", kind: .link("CONDITIONING")),
        Input(name: "latent_image", kind: .link("LATENT")),
    ]

    static let all: [Node] = [
        Node(
            name: "CheckpointLoaderSimple", displayName: "Load Checkpoint", category: "loaders",
            inputs: [Input(name: "ckpt_name", kind: .choices(.checkpoints))], outputs: ["MODEL", "CLIP", "VAE"], outputNames: ["MODEL", "CLIP", "VAE"],
            isOutput: false),
        Node(
            name: "CLIPTextEncode", displayName: "CLIP Text Encode (Prompt)", category: "conditioning",
            inputs: [Input(name: "text", kind: .string(default: "", multiline: true)), Input(name: "clip", kind: .link("CLIP"))],
            outputs: ["CONDITIONING"], outputNames: ["CONDITIONING"], isOutput: false),
        Node(
            name: "EmptyLatentImage", displayName: "Empty Latent Image", category: "latent",
            inputs: [
                Input(name: "width", kind: .int(default: 512, min: 16, max: UInt64(maximumResolution))),
                Input(name: "height", kind: .int(default: 512, min: 16, max: UInt64(maximumResolution))),
                Input(name: "batch_size", kind: .int(default: 1, min: 1, max: 4096)),
            ], outputs: ["LATENT"], outputNames: ["LATENT"], isOutput: false),
        Node(
            name: "KSampler", displayName: "KSampler", category: "sampling",
            inputs: [
                Input(name: "model", kind: .link("MODEL")),
                Input(name: "seed", kind: .int(default: 0, min: 0, max: UInt64.max)),
            ] + samplingInputs + [
                Input(name: "denoise", kind: .float(default: 1, min: 0, max: 1, step: 0.01)),
            ], outputs: ["LATENT"], outputNames: ["LATENT"], isOutput: false),
        Node(
            name: "KSamplerAdvanced", displayName: "KSampler (Advanced)", category: "sampling",
            inputs: [
                Input(name: "model", kind: .link("MODEL")),
                Input(name: "add_noise", kind: .choices(.fixed(["enable", "disable"]))),
                Input(name: "noise_seed", kind: .int(default: 0, min: 0, max: UInt64.max)),
            ] + samplingInputs + [
                Input(name: "start_at_step", kind: .int(default: 0, min: 0, max: 10000)),
                Input(name: "end_at_step", kind: .int(default: 10000, min: 0, max: 10000)),
                Input(name: "return_with_leftover_noise", kind: .choices(.fixed(["disable", "enable"]))),
            ], outputs: ["LATENT"], outputNames: ["LATENT"], isOutput: false),
        Node(
            name: "RepeatLatentBatch", displayName: "Repeat Latent Batch", category: "latent/batch",
            inputs: [Input(name: "samples", kind: .link("LATENT")), Input(name: "amount", kind: .int(default: 1, min: 1, max: 64))],
            outputs: ["LATENT"], outputNames: ["LATENT"], isOutput: false),
        Node(
            name: "LoraLoader", displayName: "Load LoRA", category: "loaders",
            inputs: [
                Input(name: "model", kind: .link("MODEL")), Input(name: "clip", kind: .link("CLIP")), Input(name: "lora_name", kind: .choices(.loras)),
                Input(name: "strength_model", kind: .float(default: 1, min: -100, max: 100, step: 0.01)),
                Input(name: "strength_clip", kind: .float(default: 1, min: -100, max: 100, step: 0.01)),
            ], outputs: ["MODEL", "CLIP"], outputNames: ["MODEL", "CLIP"], isOutput: false),
        Node(
            name: "VAEDecode", displayName: "VAE Decode", category: "latent",
            inputs: [Input(name: "samples", kind: .link("LATENT")), Input(name: "vae", kind: .link("VAE"))], outputs: ["IMAGE"], outputNames: ["IMAGE"],
            isOutput: false),
        Node(
            name: "VAEEncode", displayName: "VAE Encode", category: "latent",
            inputs: [Input(name: "pixels", kind: .link("IMAGE")), Input(name: "vae", kind: .link("VAE"))], outputs: ["LATENT"], outputNames: ["LATENT"],
            isOutput: false),
        Node(
            name: "SaveImage", displayName: "Save Image", category: "image",
            inputs: [Input(name: "images", kind: .link("IMAGE")), Input(name: "filename_prefix", kind: .string(default: "ComfyUI", multiline: false))],
            outputs: [], outputNames: [], isOutput: true),
        Node(
            name: "PreviewImage", displayName: "Preview Image", category: "image", inputs: [Input(name: "images", kind: .link("IMAGE"))],
            outputs: [], outputNames: [], isOutput: true),
        Node(
            name: "LoadImage", displayName: "Load Image", category: "image", inputs: [Input(name: "image", kind: .choices(.inputImages))],
            outputs: ["IMAGE", "MASK"], outputNames: ["IMAGE", "MASK"], isOutput: false),
    ]

    static func node(_ name: String) -> Node? { all.first { $0.name == name } }

    /// An input's spec as `/object_info` writes it: `[type, options]`.
    static func spec(_ input: Input, inputImages: [String]) -> JSON {
        switch input.kind {
        case .int(let value, let min, let max):
            var options: JSONObject = ["default": .number(JSONNumber(value)), "min": .number(JSONNumber(min)), "max": .number(JSONNumber(max))]
            if input.name == "width" || input.name == "height" { options["step"] = 8 }
            if input.name == "seed" { options["control_after_generate"] = true }
            return ["INT", .object(options)]
        case .float(let value, let min, let max, let step):
            return [
                "FLOAT",
                [
                    "default": JSONNumber(value).map(JSON.number) ?? .null, "min": JSONNumber(min).map(JSON.number) ?? .null,
                    "max": JSONNumber(max).map(JSON.number) ?? .null, "step": JSONNumber(step).map(JSON.number) ?? .null,
                ],
            ]
        case .string(let value, let multiline):
            var options: JSONObject = ["default": .string(value)]
            if multiline {
                options["multiline"] = true
                options["dynamicPrompts"] = true
            }
            return ["STRING", .object(options)]
        case .choices(let choices):
            let list = values(choices, inputImages: inputImages).map(JSON.string)
            return choices == .inputImages ? [.array(list), ["image_upload": true]] : [.array(list)]
        case .link(let type):
            return [.string(type)]
        }
    }

    static func values(_ choices: Input.Choices, inputImages: [String]) -> [String] {
        switch choices {
        case .checkpoints: checkpoints
        case .loras: loras
        case .samplers: samplers
        case .schedulers: schedulers
        case .inputImages: inputImages.sorted()
        case .fixed(let names): names
        }
    }

    /// A node's `/object_info` entry.
    static func info(_ node: Node, inputImages: [String]) -> JSON {
        var required = JSONObject()
        for input in node.inputs { required[input.name] = spec(input, inputImages: inputImages) }
        var inputs: JSONObject = ["required": .object(required)]
        if node.isOutput { inputs["hidden"] = ["prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"] }
        return [
            "input": .object(inputs), "input_order": ["required": .array(node.inputs.map { .string($0.name) })],
            "output": .array(node.outputs.map(JSON.string)), "output_is_list": .array(node.outputs.map { _ in false }),
            "output_name": .array(node.outputNames.map(JSON.string)), "name": .string(node.name), "display_name": .string(node.displayName),
            "description": "", "python_module": "nodes", "category": .string(node.category), "output_node": .bool(node.isOutput),
        ]
    }
}
