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
            #expect(failure.description == upstream.description)
        }
    }

    @Test func parameterProblemsAndUnreadableInitImagesAreClassifiedToo() {
        // The failure names the field; its message does not repeat it.
        #expect(VisionCraftBackend.failure(ParameterProblem(field: "model", message: "unknown")) == .invalid("unknown", field: "model"))
        #expect(VisionCraftBackend.failure(InitImageUnavailable("cannot read /nfs/a.png now")) == .transient("cannot read /nfs/a.png now", retryAfter: nil))
    }

    @Test func aRequestBecomesTheAPIsParametersWithItsDefaults() {
        let text = VisionCraftBackend.generation(GenerationRequest(prompt: "a cat", model: "m", sampler: "s", count: 3))
        #expect(text == GenerationParameters(prompt: "a cat", model: "m", sampler: "s", imageCount: 3, cfgScale: 10, steps: 30))
        let image = VisionCraftBackend.imageToImage(GenerationRequest(prompt: "a cat", width: 256, initImage: .file("/tmp/x.png")))
        #expect(image == ImageToImageParameters(prompt: "a cat", initImage: .file("/tmp/x.png"), steps: 50, cfgScale: 7, width: 256, height: 512))
    }
}
