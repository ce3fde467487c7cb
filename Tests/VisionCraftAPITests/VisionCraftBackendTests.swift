import Backends
import Jobs
import Testing
@testable import VisionCraftAPI

@Suite struct VisionCraftBackendTests {
    @Test func everyUpstreamErrorKeepsItsClassAndMessage() {
        let cases: [(UpstreamError, BackendFailure)] = [
            (.transient("HTTP 502", retryAfter: .seconds(3)), .transient("HTTP 502", retryAfter: .seconds(3))),
            (.rateLimited("slow down", retryAfter: nil), .rateLimited("slow down", retryAfter: nil)),
            (.auth("Invalid token"), .keyRefused("Invalid token")),
            (.invalid("steps: too big", field: "steps"), .invalid("steps: too big", field: "steps")),
            (.protocolViolation("no images"), .protocolViolation("no images")),
        ]
        for (upstream, expected) in cases {
            let failure = VisionCraftBackend.failure(upstream)
            #expect(failure == expected)
            #expect(failure.className == upstream.className)
            #expect(failure.description == upstream.description)
        }
    }

    @Test func downloadsAndParameterProblemsAreClassifiedToo() {
        #expect(VisionCraftBackend.failure(DownloadError.transient("reset")) == .transient("download failed for now: reset", retryAfter: nil))
        #expect(VisionCraftBackend.failure(DownloadError.gone(status: 404)) == .permanent("the image is gone (HTTP 404)"))
        let problem = ParameterProblem(field: "model", message: "unknown")
        #expect(VisionCraftBackend.failure(problem) == .invalid(problem.description, field: "model"))
    }

    @Test func aRequestBecomesTheAPIsParametersWithItsDefaults() {
        let text = VisionCraftBackend.generation(GenerationRequest(prompt: "a cat", model: "m", sampler: "s", count: 3))
        #expect(text == GenerationParameters(prompt: "a cat", model: "m", sampler: "s", imageCount: 3, cfgScale: 10, steps: 30))
        let image = VisionCraftBackend.imageToImage(GenerationRequest(prompt: "a cat", width: 256, initImage: .file("/tmp/x.png")))
        #expect(image == ImageToImageParameters(prompt: "a cat", initImage: .file("/tmp/x.png"), steps: 50, cfgScale: 7, width: 256, height: 512))
    }
}
