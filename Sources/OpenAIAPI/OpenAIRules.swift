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
    /// The API takes no seed, noise schedule, sampler, steps or guidance:
    /// a job naming one is refused at submit, and none is filled in (the
    /// step and guidance ranges below are never used).
    package static let openAI = BackendRules(
        imagesPerRequest: 10, imagesPerImageToImageRequest: 10, textToImageSteps: 1...1, textToImageDefaultSteps: 1,
        imageToImageSteps: 1...1, imageToImageDefaultSteps: 1, textToImageDefaultGuidance: 7, imageToImageDefaultGuidance: 7,
        textToImageGuidanceIsWhole: false, imageToImageTakesModelAndSampler: true, textToImageTakesSize: true, takesSeed: false,
        takesScheduler: false, takesSteps: false, takesGuidance: false, takesSampler: false, sideMultiple: 8, maximumSide: 3840, defaultSide: 1024
    )
}
