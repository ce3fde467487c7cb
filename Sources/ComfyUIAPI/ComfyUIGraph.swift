import Backends
import Jobs
import JSON

/// The built-in workflows, a job's when neither it nor its backend names
/// one: ComfyUI's default text-to-image graph (`nodes.py`'s node ids and
/// classes: CheckpointLoaderSimple, two CLIPTextEncode, EmptyLatentImage,
/// KSampler, VAEDecode, SaveImage) and, for image to image, the same with
/// LoadImage and VAEEncode in place of the empty latent. Their values are
/// the rules' defaults; a job's fields are written in as into any workflow
/// (`ComfyUIWorkflow.graph(for:seed:uploadedImage:)`).
package enum ComfyUIGraph {
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

    /// The built-in text-to-image workflow.
    package static let textToImage = workflow(imageToImage: false)
    /// The built-in image-to-image workflow.
    package static let imageToImage = workflow(imageToImage: true)

    /// The built-in workflow of a request.
    package static func builtIn(imageToImage: Bool) -> ComfyUIWorkflow {
        imageToImage ? self.imageToImage : textToImage
    }

    /// A seed for a request that names none.
    package static func randomSeed() -> Int {
        Int.random(in: 0...maximumRandomSeed)
    }

    private static func workflow(imageToImage toImage: Bool) -> ComfyUIWorkflow {
        let rules = BackendRules.comfyUI
        func link(_ node: String, _ output: Int) -> JSON { [.string(node), .number(JSONNumber(output))] }
        func number(_ value: Double) -> JSON { JSONNumber(value).map(JSON.number) ?? .null }
        var nodes: [(String, JSON)] = [
            ("4", node("CheckpointLoaderSimple", ["ckpt_name": ""])),
            ("6", node("CLIPTextEncode", ["text": "", "clip": link("4", 1)])),
            ("7", node("CLIPTextEncode", ["text": "", "clip": link("4", 1)])),
        ]
        let latent: JSON
        if toImage {
            nodes.append(("10", node("LoadImage", ["image": ""])))
            nodes.append(("11", node("VAEEncode", ["pixels": link("10", 0), "vae": link("4", 2)])))
            latent = link("11", 0)
        } else {
            let side = JSON.number(JSONNumber(rules.defaultSide))
            nodes.append(("5", node("EmptyLatentImage", ["width": side, "height": side, "batch_size": 1])))
            latent = link("5", 0)
        }
        nodes.append(("3", node("KSampler", [
            "seed": 0, "steps": .number(JSONNumber(toImage ? rules.imageToImageDefaultSteps : rules.textToImageDefaultSteps)),
            "cfg": number(toImage ? rules.imageToImageDefaultGuidance : rules.textToImageDefaultGuidance),
            "sampler_name": .string(rules.defaultSampler ?? "euler"), "scheduler": .string(defaultScheduler),
            "denoise": toImage ? number(imageToImageDenoise) : 1,
            "model": link("4", 0), "positive": link("6", 0), "negative": link("7", 0), "latent_image": latent,
        ])))
        nodes.append(("8", node("VAEDecode", ["samples": link("3", 0), "vae": link("4", 2)])))
        nodes.append(("9", node("SaveImage", ["filename_prefix": .string(filenamePrefix), "images": link("8", 0)])))
        do {
            return try ComfyUIWorkflow(.object(JSONObject(nodes)), source: "(built-in \(toImage ? "image-to-image" : "text-to-image"))")
        } catch {
            preconditionFailure("the built-in graph is not a workflow: \(error)")
        }
    }

    private static func node(_ classType: String, _ inputs: JSONObject) -> JSON {
        ["class_type": .string(classType), "inputs": .object(inputs)]
    }
}
