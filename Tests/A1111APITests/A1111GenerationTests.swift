import A1111API
import Backends
import JSON
import Jobs
import Posix
import Testing
import TestSupport

/// What AUTOMATIC1111 is sent for a request, and what its answer becomes.
@Suite struct A1111GenerationTests {
    static let title = "v1-5-pruned-emaonly.safetensors [6ce0161689]"

    @Test func textToImageSendsWhatTheAPITakesAndKeepsEachImagesSeedAndInfotext() async throws {
        let fake = try FakeA1111(.init(auth: "alice:s3cret-pass"))
        let backend = A1111Backend(client: try fake.client())
        let request = GenerationRequest(
            prompt: "a lighthouse", negativePrompt: "ugly", model: Self.title, sampler: "DPM++ 2M", scheduler: "karras", seed: 42, count: 3,
            width: 640, height: 384, steps: 30, guidance: 6.5
        )
        let outcome = try await backend.generate(request, key: "alice:s3cret-pass")
        let sent = try fake.lastBody("/sdapi/v1/txt2img")
        #expect(sent["prompt"] == "a lighthouse" && sent["negative_prompt"] == "ugly")
        #expect(sent["override_settings"] == ["sd_model_checkpoint": .string(Self.title)], "the model is chosen per request")
        #expect(sent["override_settings_restore_afterwards"] == true)
        #expect(sent["sampler_name"] == "DPM++ 2M" && sent["scheduler"] == "karras")
        #expect(sent["batch_size"]?.intValue == 3 && sent["n_iter"]?.intValue == 1 && sent["seed"]?.intValue == 42)
        #expect(sent["width"]?.intValue == 640 && sent["height"]?.intValue == 384 && sent["steps"]?.intValue == 30)
        #expect(sent["cfg_scale"]?.doubleValue == 6.5)
        #expect(sent["save_images"] == false && sent["send_images"] == true)
        #expect(sent["init_images"] == nil)
        #expect(fake.requests(to: "/sdapi/v1/txt2img").last?.header("authorization") == "Basic YWxpY2U6czNjcmV0LXBhc3M=")
        #expect(fake.requests(to: "/sdapi/v1/options").isEmpty, "the server's options are never changed")
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.map(\.image.bytes) == (0..<3).map(FakeA1111.png))
        #expect(images.map(\.image.format) == [.png, .png, .png])
        #expect(images.map(\.seed) == [42, 43, 44])
        #expect(images.map(\.parameters) == [42, 43, 44].map { FakeA1111.infotext("a lighthouse", seed: $0, sampler: "DPM++ 2M") })
    }

    /// The fake always runs v1-5-pruned-emaonly, as A1111 runs its loaded
    /// model when it has no checkpoint of the name: any other name fails.
    @Test(arguments: [
        (title, true), ("v1-5-pruned-emaonly", true), ("v1-5-pruned-emaonly.safetensors", true),
        ("sdxl/juggernautXL.safetensors [d91d35736d]", false), ("dreamshaper_8", false),
    ])
    func imagesMadeOnAnotherModelThanTheOneNamedAreRefused(model: String, taken: Bool) async throws {
        let fake = try FakeA1111()
        let backend = A1111Backend(client: try fake.client())
        do {
            _ = try await backend.generate(GenerationRequest(prompt: "a lighthouse", model: model), key: nil)
            #expect(taken, "\(model) was taken")
        } catch {
            #expect(!taken, "\(model): \(error)")
            guard case .invalid(let message, let field) = error else { Issue.record("\(error)"); return }
            #expect(field == "model" && message.hasPrefix("Model not found: the server has no model '\(model)'") && message.contains("'v1-5-pruned-emaonly'"))
        }
    }

    @Test func imageToImageSendsTheInitImageInBase64() async throws {
        let fake = try FakeA1111()
        let backend = A1111Backend(client: try fake.client())
        let initImage = FetchedImage(bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array("a jpeg".utf8), format: .jpeg)
        let outcome = try await backend.generate(
            GenerationRequest(prompt: "a cat", model: Self.title, sampler: "Euler", count: 2, initImage: .inline(initImage)), key: nil
        )
        #expect(fake.requests(to: "/sdapi/v1/txt2img").isEmpty)
        let sent = try fake.lastBody("/sdapi/v1/img2img")
        let encoded = try #require(sent["init_images"]?.arrayValue?.first?.stringValue)
        #expect(try decodeBase64(encoded) == initImage.bytes)
        #expect(sent["init_images"]?.arrayValue?.count == 1)
        #expect(sent["override_settings"]?["sd_model_checkpoint"] == .string(Self.title), "image-to-image names its model too")
        #expect(sent["sampler_name"] == "Euler" && sent["batch_size"]?.intValue == 2)
        #expect(fake.requests(to: "/sdapi/v1/img2img").last?.header("authorization") == nil, "no key, no Authorization")
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.count == 2 && images.allSatisfy { $0.seed != nil && $0.parameters != nil })
    }

    @Test func aLocalInitImageThatComesNamedIsReadAndSent() async throws {
        let fake = try FakeA1111()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path + "/start.png"
        try FileSystem.writeFileAtomically(path, FakeA1111.png(5))
        _ = try await A1111Backend(client: try fake.client()).generate(GenerationRequest(prompt: "a cat", initImage: .file(path)), key: nil)
        let encoded = try #require(try fake.lastBody("/sdapi/v1/img2img")["init_images"]?.arrayValue?.first?.stringValue)
        #expect(try decodeBase64(encoded) == FakeA1111.png(5))
        let missing = GenerationRequest(prompt: "a cat", initImage: .file(folder.path + "/gone.png"))
        await #expect(throws: BackendFailure.self) { _ = try await A1111Backend(client: try fake.client()).generate(missing, key: nil) }
        #expect(fake.requests(to: "/sdapi/v1/img2img").count == 1, "nothing sent for a file that is not there")
    }

    @Test func whatARequestLeavesOutGetsTheRulesDefaultsOrTheServersOwn() async throws {
        let fake = try FakeA1111()
        _ = try await A1111Backend(client: try fake.client()).generate(GenerationRequest(prompt: "a cat"), key: nil)
        let sent = try fake.lastBody("/sdapi/v1/txt2img")
        let rules = BackendRules.a1111
        #expect(sent["seed"]?.intValue == -1, "a random seed")
        #expect(sent["batch_size"]?.intValue == 1)
        #expect(sent["steps"]?.intValue == rules.textToImageDefaultSteps && sent["cfg_scale"]?.doubleValue == rules.textToImageDefaultGuidance)
        #expect(sent["width"]?.intValue == rules.defaultSide && sent["height"]?.intValue == rules.defaultSide)
        #expect(sent["override_settings"] == nil && sent["override_settings_restore_afterwards"] == nil, "no model named: the loaded one")
        #expect(sent["sampler_name"] == nil && sent["scheduler"] == nil)
    }

    @Test func aGridLeadingTheImagesIsLeftOutAndTheInfotextsStayInStep() async throws {
        let fake = try FakeA1111(.init(grid: true))
        let outcome = try await A1111Backend(client: try fake.client()).generate(GenerationRequest(prompt: "a cat", seed: 7, count: 2), key: nil)
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.map(\.image.bytes) == [FakeA1111.png(0), FakeA1111.png(1)])
        #expect(images.map(\.seed) == [7, 8])
        #expect(images.map(\.parameters) == [7, 8].map { FakeA1111.infotext("a cat", seed: $0, sampler: "Euler") })
    }

    @Test func progressSaysHowFarTheRunningGenerationIsWithoutItsPreview() async throws {
        let fake = try FakeA1111(.init(auth: "alice:s3cret-pass"))
        let progress = try await fake.client().progress(key: "alice:s3cret-pass")
        #expect(progress == A1111Progress(fraction: 0.25, remaining: .milliseconds(12_500), busy: true))
        #expect(fake.requests(to: "/sdapi/v1/progress").last?.target.contains("skip_current_image=true") == true)
        fake.override { _ in .response(.json(["progress": 0, "eta_relative": 0, "state": ["job_count": 0], "textinfo": nil])) }
        #expect(try await fake.client().progress(key: "alice:s3cret-pass") == A1111Progress(fraction: 0, remaining: .zero, busy: false))
        fake.override { _ in .response(.json(["state": [:]])) }
        await #expect(throws: BackendFailure.self) { _ = try await fake.client().progress(key: "alice:s3cret-pass") }
    }

    @Test func theBackendSaysWhatItIsAndDownloadsNothing() async throws {
        let fake = try FakeA1111()
        let backend = A1111Backend(client: try fake.client())
        let description = backend.description
        #expect(description.kind == "a1111" && description.delivery == .bytes && description.reportsSeeds && description.imageToImage)
        #expect(description.defaultConcurrency == 1 && description.rules == .a1111)
        #expect(!description.requiresKey, "a server without --api-auth takes no key")
        let rules = BackendRules.a1111
        #expect(rules.textToImageSteps == 1...150 && rules.textToImageDefaultSteps == 20 && rules.textToImageDefaultGuidance == 7)
        #expect(!rules.textToImageGuidanceIsWhole && rules.takesSeed && rules.takesScheduler && rules.textToImageTakesSize)
        #expect(rules.imageToImageTakesModelAndSampler && rules.sideMultiple == 8 && rules.maximumSide == 2048 && rules.defaultSide == 512)
        #expect(rules.imagesPerRequest == 4 && rules.imagesPerImageToImageRequest == 4)
        await #expect(throws: DownloadError.self) { _ = try await backend.fetch("\(fake.baseURL)/image.png") }
        #expect(fake.requests(to: "/image.png").isEmpty)
    }
}
