import Backends
import Jobs
import JSON

/// The built-in graphs, in ComfyUI's API format (`POST /prompt`'s
/// `prompt`): node id -> `{class_type, inputs}`, an input linked to another
/// node's output as `[node_id, output_index]`. The node ids and classes
/// are those of ComfyUI's default workflow (`nodes.py`).
package enum ComfyUIGraph {
    /// KSampler's node, whose `seed` input `follow` reads back from
    /// `/history` to report each image's seed.
    package static let samplerNode = "3"
    /// SaveImage's node, whose outputs are the images.
    package static let saveNode = "9"
    /// What the saved files' names start with (ComfyUI adds a counter).
    package static let filenamePrefix = "visioncraft"
    /// How much of an init image is noised again: ComfyUI has no strength
    /// of its own (the job model none), and 0.75 keeps its composition
    /// while following the prompt, A1111's img2img default.
    package static let imageToImageDenoise = 0.75
    /// The noise schedule when none is named: the default workflow's.
    package static let defaultScheduler = "normal"
    /// The largest seed taken: KSampler takes 0 to 2^64 - 1, but ComfyUI's
    /// web front end (JavaScript numbers) and our `Int` both hold 2^53
    /// exactly, so a random seed is drawn below it.
    package static let maximumRandomSeed = (1 << 53) - 1

    /// The graph for `request` (its model, sampler and scheduler resolved,
    /// its seed chosen); `uploadedImage` is the init image's name as
    /// `/upload/image` answered it, for image to image.
    package static func graph(_ request: GenerationRequest, model: String, seed: Int, uploadedImage: String?) -> JSON {
        let rules = BackendRules.comfyUI
        let toImage = uploadedImage != nil
        let steps = request.steps ?? (toImage ? rules.imageToImageDefaultSteps : rules.textToImageDefaultSteps)
        let guidance = request.guidance ?? (toImage ? rules.imageToImageDefaultGuidance : rules.textToImageDefaultGuidance)
        func link(_ node: String, _ output: Int) -> JSON { [.string(node), .number(JSONNumber(output))] }
        var nodes: [(String, JSON)] = [
            ("4", node("CheckpointLoaderSimple", ["ckpt_name": .string(model)])),
            ("6", node("CLIPTextEncode", ["text": .string(request.prompt), "clip": link("4", 1)])),
            ("7", node("CLIPTextEncode", ["text": .string(request.negativePrompt), "clip": link("4", 1)])),
        ]
        let latent: JSON
        if let uploadedImage {
            nodes.append(("10", node("LoadImage", ["image": .string(uploadedImage)])))
            nodes.append(("11", node("VAEEncode", ["pixels": link("10", 0), "vae": link("4", 2)])))
            if request.count > 1 {
                // VAEEncode makes a batch of one; the batch is that latent repeated.
                nodes.append(("12", node("RepeatLatentBatch", ["samples": link("11", 0), "amount": .number(JSONNumber(request.count))])))
                latent = link("12", 0)
            } else {
                latent = link("11", 0)
            }
        } else {
            let side = rules.defaultSide
            nodes.append(("5", node("EmptyLatentImage", [
                "width": .number(JSONNumber(request.width ?? side)), "height": .number(JSONNumber(request.height ?? side)),
                "batch_size": .number(JSONNumber(request.count)),
            ])))
            latent = link("5", 0)
        }
        nodes.append((samplerNode, node("KSampler", [
            "seed": .number(JSONNumber(seed)), "steps": .number(JSONNumber(steps)), "cfg": JSONNumber(guidance).map(JSON.number) ?? .null,
            "sampler_name": .string(request.sampler ?? rules.defaultSampler ?? "euler"), "scheduler": .string(request.scheduler ?? defaultScheduler),
            "denoise": toImage ? JSONNumber(imageToImageDenoise).map(JSON.number) ?? .null : 1,
            "model": link("4", 0), "positive": link("6", 0), "negative": link("7", 0), "latent_image": latent,
        ])))
        nodes.append(("8", node("VAEDecode", ["samples": link(samplerNode, 0), "vae": link("4", 2)])))
        nodes.append((saveNode, node("SaveImage", ["filename_prefix": .string(filenamePrefix), "images": link("8", 0)])))
        return .object(JSONObject(nodes))
    }

    private static func node(_ classType: String, _ inputs: JSONObject) -> JSON {
        ["class_type": .string(classType), "inputs": .object(inputs)]
    }

    /// A seed for a request that names none.
    package static func randomSeed() -> Int {
        Int.random(in: 0...maximumRandomSeed)
    }

    /// The job field a node input sets, for refusals of it; nil for the
    /// graph's own inputs.
    package static func jobField(_ input: String) -> String? {
        switch input {
        case "ckpt_name": JobField.model.wireName
        case "sampler_name": JobField.sampler.wireName
        case "scheduler": JobField.scheduler.wireName
        case "width": JobField.width.wireName
        case "height": JobField.height.wireName
        case "steps": JobField.steps.wireName
        case "seed": JobField.seed.wireName
        case "cfg": JobField.cfgScale.wireName
        case "text": JobField.prompt.wireName
        case "batch_size", "amount": JobField.imageCount.wireName
        case "image": JobField.initImage.wireName
        default: nil
        }
    }
}
