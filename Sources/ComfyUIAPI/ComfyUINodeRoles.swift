import Jobs

/// The node types a job's fields are written into, by their ComfyUI class
/// names and input names (`nodes.py`): one table for the built-in graphs,
/// a user's workflow, reading a seed back from `/history`, and naming the
/// job field a node error is about.
package enum ComfyUINodeRoles {
    /// The samplers, and the input each takes its seed in; every one also
    /// takes `steps`, `cfg`, `sampler_name` and `scheduler`.
    package static let samplerSeedInputs = ["KSampler": "seed", "KSamplerAdvanced": "noise_seed"]
    /// The text encoders, and the inputs the prompt goes into (SDXL's
    /// encoder has one for each of its two text models).
    package static let textInputs = [
        "CLIPTextEncode": ["text"], "CLIPTextEncodeSDXL": ["text_g", "text_l"], "CLIPTextEncodeSDXLRefiner": ["text"],
    ]
    /// A sampler's conditioning inputs, which lead to its text encoders.
    package static let positive = "positive"
    package static let negative = "negative"
    /// The input a checkpoint loader takes the model in
    /// (CheckpointLoaderSimple, CheckpointLoader, ...).
    package static let checkpointInput = "ckpt_name"
    package static let loadImage = "LoadImage"
    package static let saveImage = "SaveImage"
    package static let repeatLatentBatch = "RepeatLatentBatch"

    /// An empty latent (EmptyLatentImage, EmptySD3LatentImage): its
    /// `width`, `height` and `batch_size` are the job's size and count.
    package static func isEmptyLatent(_ classType: String) -> Bool {
        classType.hasPrefix("Empty") && classType.hasSuffix("LatentImage")
    }

    /// An encoder of pictures into a latent (VAEEncode,
    /// VAEEncodeForInpaint): its `pixels` come from the init image.
    package static func isImageEncoder(_ classType: String) -> Bool {
        classType.hasPrefix("VAEEncode")
    }

    /// The job field a node input is written from, for refusals of it; nil
    /// for the workflow's own inputs.
    package static func jobField(_ input: String) -> String? {
        switch input {
        case checkpointInput: JobField.model.wireName
        case "sampler_name": JobField.sampler.wireName
        case "scheduler": JobField.scheduler.wireName
        case "width": JobField.width.wireName
        case "height": JobField.height.wireName
        case "steps": JobField.steps.wireName
        case "seed", "noise_seed": JobField.seed.wireName
        case "cfg": JobField.cfgScale.wireName
        case "text", "text_g", "text_l": JobField.prompt.wireName
        case "batch_size", "amount": JobField.imageCount.wireName
        case "image": JobField.initImage.wireName
        default: nil
        }
    }
}
