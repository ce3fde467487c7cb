import Backends
import Jobs

extension BackendRules {
    /// AUTOMATIC1111's rules (and Forge's, SD.Next's and
    /// stable-diffusion.cpp's `/sdapi`), as its web UI bounds them: 1 to
    /// 150 steps (default 20), cfg 7 in any fraction, sides multiples of 8
    /// up to 2048 (default 512), the seed, sampler, noise schedule and
    /// model named in both modes.
    ///
    /// The server makes a batch at once, every image of it in GPU memory
    /// together, and serves one request at a time: 4 images of 512 by 512
    /// fit the 8 GB cards it commonly runs on, and a request that short
    /// keeps a cancel, a retry and the other lanes' turns close at hand.
    /// A job asking for more is sent in several requests.
    package static let a1111 = BackendRules(
        imagesPerRequest: 4, imagesPerImageToImageRequest: 4, textToImageSteps: 1...150, textToImageDefaultSteps: 20,
        imageToImageSteps: 1...150, imageToImageDefaultSteps: 20, textToImageDefaultGuidance: 7, imageToImageDefaultGuidance: 7,
        textToImageGuidanceIsWhole: false, imageToImageTakesModelAndSampler: true, textToImageTakesSize: true, takesSeed: true,
        takesScheduler: true, sideMultiple: 8, maximumSide: 2048, defaultSide: 512
    )
}
