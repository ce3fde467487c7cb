import Backends
import Jobs
import OpenAIAPI
import Testing

/// The model list, and how a job's names are checked against it.
@Suite struct OpenAICatalogTests {
    static func failure(_ work: () async throws(BackendFailure) -> Void) async -> BackendFailure? {
        do {
            try await work()
            return nil
        } catch {
            return error
        }
    }

    @Test func everyListedIdIsAModelAndThereAreNoSamplers() async throws {
        let fake = try FakeOpenAI(.init(key: "sk-list-0123456789"))
        let backend = OpenAIBackend(client: try fake.client(catalogKey: "sk-list-0123456789"))
        let catalog = try await backend.catalog()
        #expect(catalog == BackendCatalog(models: ["gpt-image-1", "gpt-image-1-mini", "dall-e-3", "gpt-4o", "Stable-Diffusion-XL"]))
        #expect(fake.requests(to: "/v1/models").last?.header("authorization") == "Bearer sk-list-0123456789")
        #expect(backend.catalogIsSettled)
        _ = try await backend.catalog()
        #expect(fake.requests(to: "/v1/models").count == 1, "kept, not asked again")
    }

    @Test func aServerWithoutTheRouteListsNothingAndAnyModelIsTaken() async throws {
        let fake = try FakeOpenAI()
        fake.override { $0.path == "/v1/models" ? FakeOpenAI.error(404, "Not Found") : nil }
        let backend = OpenAIBackend(client: try fake.client())
        #expect(try await backend.catalog() == BackendCatalog())
        #expect(try await backend.resolved(.init(prompt: "a cat", model: "sd-anything")).model == "sd-anything")
    }

    @Test func aModelIsMatchedInAnyCaseAndAnUnknownOneIsRefusedWithADidYouMean() async throws {
        let fake = try FakeOpenAI()
        let backend = OpenAIBackend(client: try fake.client())
        #expect(try await backend.resolved(.init(prompt: "a cat", model: "GPT-Image-1")).model == "gpt-image-1")
        #expect(try await backend.resolved(.init(prompt: "a cat", model: "stable-diffusion-xl")).model == "Stable-Diffusion-XL")
        #expect(try await backend.resolved(.init(prompt: "a cat")) == .init(prompt: "a cat"), "no model: the server's default")
        let failure = await Self.failure { () throws(BackendFailure) in _ = try await backend.resolved(.init(prompt: "a cat", model: "gpt-imag-1")) }
        guard case .invalid(let message, let field)? = failure else { Issue.record("\(String(describing: failure))"); return }
        #expect(field == "model")
        #expect(message.contains("did you mean 'gpt-image-1'") && message.contains("vcctl models"), "\(message)")
        #expect(fake.requests(to: "/v1/models").count == 2, "asked again once, in case the model is new")
    }

    @Test func aSamplerIsRefusedAndTheRulesRefuseSeedsSchedulesAndSteps() async throws {
        let fake = try FakeOpenAI()
        let backend = OpenAIBackend(client: try fake.client())
        let failure = await Self.failure { () throws(BackendFailure) in _ = try await backend.resolved(.init(prompt: "a cat", sampler: "Euler")) }
        guard case .invalid(_, let field)? = failure else { Issue.record("\(String(describing: failure))"); return }
        #expect(field == "sampler")
        let rules = backend.description.rules
        #expect(rules == .openAI && rules.imagesPerRequest == 10 && rules.imagesPerImageToImageRequest == 10)
        #expect(!rules.takesSeed && !rules.takesScheduler && rules.textToImageSteps == 1...1 && rules.textToImageTakesSize)
        #expect(rules.maximumSide == 3840 && rules.defaultSide == 1024 && rules.sideMultiple == 8)
        #expect(backend.description.kind == "openai" && !backend.description.requiresKey && backend.description.imageToImage)
    }
}
