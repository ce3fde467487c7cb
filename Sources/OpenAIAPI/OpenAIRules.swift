import Backends
import Jobs

extension BackendRules {
    /// The rules of OpenAI's images API and of the servers with its shape
    /// (stable-diffusion.cpp's `sd-server`, LocalAI): `n` from 1 to 10 in
    /// both `/generations` and `/edits`; the size as `WxH`, in multiples of
    /// 8 (what Stable Diffusion on a local server takes; every size OpenAI
    /// lists is one, and gpt-image-2's free sizes are multiples of 16) up
    /// to 3840 (gpt-image-2's largest side; a model refuses a size it does
    /// not make with `param: "size"`, which names the width), 1024 square
    /// by default (what GPT image models and SDXL make natively); the model
    /// named in both modes.
    ///
    /// The API takes no seed, noise schedule, sampler, steps or guidance.
    /// The seed and the schedule are refused here; `BackendRules` cannot
    /// refuse steps or guidance outright, so steps are held to the one value
    /// 1 (a job naming other steps is refused at submit; the API makes an
    /// image in one call) and guidance is never sent; the sampler is
    /// refused by `OpenAIBackend.resolved`.
    package static let openAI = BackendRules(
        imagesPerRequest: 10, imagesPerImageToImageRequest: 10, textToImageSteps: 1...1, textToImageDefaultSteps: 1,
        imageToImageSteps: 1...1, imageToImageDefaultSteps: 1, textToImageDefaultGuidance: 7, imageToImageDefaultGuidance: 7,
        textToImageGuidanceIsWhole: false, imageToImageTakesModelAndSampler: true, textToImageTakesSize: true, takesSeed: false,
        takesScheduler: false, sideMultiple: 8, maximumSide: 3840, defaultSide: 1024
    )
}
