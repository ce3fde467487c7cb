import Backends
import Jobs

extension BackendRules {
    /// ComfyUI's rules, as its KSampler and EmptyLatentImage inputs bound
    /// them (`nodes.py`): 1 to 10000 steps (default 20), cfg 8 in any
    /// fraction (0 to 100 there; the job model caps it lower), sides
    /// multiples of 8 (the latent is an eighth of the image) up to the job
    /// model's 2048, the seed, sampler, scheduler and model named in both
    /// modes; sampler `euler` when none is named (the default workflow's).
    ///
    /// There is no default model: ComfyUI has none of its own (every graph
    /// names its checkpoint) and its first checkpoint is an arbitrary file,
    /// so a request names one (the job's, else the configuration's
    /// `jobs.model`) or is refused (`ComfyUIBackend.resolved`).
    ///
    /// A batch of 4 (`batch_size`) keeps a request short enough for a
    /// cancel, a retry and the other lanes' turns; a job asking for more is
    /// sent in several requests.
    ///
    /// A job may name a workflow of its own (`ComfyUIWorkflow`); a backend
    /// configured with one says so (`runsWorkflow`, `ComfyUIBackend`).
    package static let comfyUI = BackendRules(
        imagesPerRequest: 4, imagesPerImageToImageRequest: 4, textToImageSteps: 1...10000, textToImageDefaultSteps: 20,
        imageToImageSteps: 1...10000, imageToImageDefaultSteps: 20, textToImageDefaultGuidance: 8, imageToImageDefaultGuidance: 8,
        textToImageGuidanceIsWhole: false, imageToImageTakesModelAndSampler: true, textToImageTakesSize: true, takesSeed: true,
        takesScheduler: true, takesWorkflow: true, sideMultiple: 8, maximumSide: 2048, defaultSide: 512, defaultModel: nil, defaultSampler: "euler"
    )
}
