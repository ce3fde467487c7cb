import Backends
import ComfyUIAPI
import JSON
import Testing

/// The graphs ComfyUI is sent, and how a prompt is followed to its images.
@Suite struct ComfyUIGenerationTests {
    static let model = "v1-5-pruned-emaonly.safetensors"

    @Test func textToImagePostsTheDefaultGraphAndAnswersThePromptIDAtOnce() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        let request = GenerationRequest(
            prompt: "a lighthouse", negativePrompt: "ugly", model: Self.model, sampler: "dpmpp_2m", scheduler: "karras", seed: 42, count: 3,
            width: 640, height: 384, steps: 30, guidance: 6.5
        )
        let outcome = try await backend.generate(request, key: nil)
        #expect(outcome == .remote(id: "prompt-1"))
        #expect(fake.requests(to: "/history/prompt-1").isEmpty, "the id is answered before anything is waited for")
        let body = try JSONParser.parse(try #require(fake.requests(to: "/prompt").last).body)
        #expect(body["client_id"] == "visioncraft")
        let graph = try fake.lastGraph()
        #expect(graph["4"]?["class_type"] == "CheckpointLoaderSimple" && graph["4"]?["inputs"]?["ckpt_name"] == .string(Self.model))
        #expect(graph["6"]?["class_type"] == "CLIPTextEncode" && graph["6"]?["inputs"]?["text"] == "a lighthouse")
        #expect(graph["6"]?["inputs"]?["clip"] == ["4", 1])
        #expect(graph["7"]?["inputs"]?["text"] == "ugly")
        let latent = graph["5"]?["inputs"]
        #expect(graph["5"]?["class_type"] == "EmptyLatentImage")
        #expect(latent?["width"]?.intValue == 640 && latent?["height"]?.intValue == 384 && latent?["batch_size"]?.intValue == 3)
        let sampler = graph["3"]?["inputs"]
        #expect(graph["3"]?["class_type"] == "KSampler")
        #expect(sampler?["seed"]?.intValue == 42 && sampler?["steps"]?.intValue == 30 && sampler?["cfg"]?.doubleValue == 6.5)
        #expect(sampler?["sampler_name"] == "dpmpp_2m" && sampler?["scheduler"] == "karras" && sampler?["denoise"]?.doubleValue == 1)
        #expect(sampler?["model"] == ["4", 0] && sampler?["positive"] == ["6", 0] && sampler?["negative"] == ["7", 0])
        #expect(sampler?["latent_image"] == ["5", 0])
        #expect(graph["8"]?["class_type"] == "VAEDecode" && graph["8"]?["inputs"]?["samples"] == ["3", 0] && graph["8"]?["inputs"]?["vae"] == ["4", 2])
        #expect(graph["9"]?["class_type"] == "SaveImage" && graph["9"]?["inputs"]?["filename_prefix"] == "visioncraft")
        #expect(graph["10"] == nil, "no LoadImage without an init image")
    }

    @Test func theDefaultsAreTheRulesAndARandomSeedIsReportedWithTheImages() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        let outcome = try await backend.generate(GenerationRequest(prompt: "a cat", model: Self.model), key: nil)
        let graph = try fake.lastGraph()
        let sampler = graph["3"]?["inputs"]
        #expect(sampler?["steps"]?.intValue == 20 && sampler?["cfg"]?.doubleValue == 8)
        #expect(sampler?["sampler_name"] == "euler" && sampler?["scheduler"] == "normal")
        #expect(graph["5"]?["inputs"]?["width"]?.intValue == 512 && graph["5"]?["inputs"]?["batch_size"]?.intValue == 1)
        let seed = try #require(sampler?["seed"]?.intValue)
        #expect((0...ComfyUIGraph.maximumRandomSeed).contains(seed))
        guard case .remote(let id) = outcome else { Issue.record("\(outcome)"); return }
        guard case .images(let images, _) = try await backend.follow(remote: id, key: nil) else { Issue.record("no images"); return }
        #expect(images.map(\.seed) == [seed], "the seed chosen is the one reported")
    }

    @Test func followWaitsThroughTheQueueUntilTheHistoryHasTheImages() async throws {
        let fake = try FakeComfyUI(.init(pollsBeforeDone: 3))
        let backend = ComfyUIBackend(client: try fake.client())
        let outcome = try await backend.generate(GenerationRequest(prompt: "a fox", model: Self.model, seed: 7, count: 2), key: nil)
        guard case .remote(let id) = outcome else { Issue.record("\(outcome)"); return }
        let followed = try await backend.follow(remote: id, key: nil)
        #expect(fake.requests(to: "/history/\(id)").count == 4, "asked until done")
        #expect(fake.requests(to: "/queue").count == 3, "each empty history checked against the queue")
        guard case .images(let images, _) = followed else { Issue.record("\(followed)"); return }
        #expect(images.map(\.image.bytes) == [0, 1].map { FakeComfyUI.png(FakeComfyUI.filename($0)) })
        #expect(images.map(\.image.format) == [.png, .png] && images.map(\.seed) == [7, 7])
        let views = fake.requests(to: "/view").map(\.target)
        #expect(views == [0, 1].map { "/view?filename=\(FakeComfyUI.filename($0))&subfolder=&type=output" })
    }

    /// A quick prompt is seen done at once: the asks start 10 ms apart and
    /// double up to the poll interval. With a 60 s interval and a 30 s
    /// window, asks at a fixed interval would give up (`.remote`) after the
    /// first wait; three doubling waits from 10 ms see it done.
    @Test func followAsksSoonFirstAndLessOftenLater() async throws {
        let fake = try FakeComfyUI(.init(pollsBeforeDone: 3))
        let backend = ComfyUIBackend(client: try fake.client(followWindow: .seconds(30), pollInterval: .seconds(60)))
        let outcome = try await backend.generate(GenerationRequest(prompt: "a fox", model: Self.model), key: nil)
        guard case .remote(let id) = outcome else { Issue.record("\(outcome)"); return }
        let followed = try await backend.follow(remote: id, key: nil)
        guard case .images = followed else { Issue.record("not seen done within the window: \(followed)"); return }
        #expect(fake.requests(to: "/history/\(id)").count == 4)
    }

    /// History stamps (execution_start, execution_success), and the time they report.
    static let stampedHistories: [((start: Int64, end: Int64)?, Duration?)] = [
        ((start: 1_733_150_000_000, end: 1_733_150_004_250), .milliseconds(4_250)),
        ((start: 1_733_150_000_000, end: 1_733_150_000_000), .zero),
        ((start: 1_733_150_004_250, end: 1_733_150_000_000), nil),
        (nil, nil),
    ]

    @Test(arguments: stampedHistories)
    func theExecutionTimeIsWhatTheHistoryStampsFromStartToSuccess(stamps: (start: Int64, end: Int64)?, took: Duration?) async throws {
        let fake = try FakeComfyUI(.init(pollsBeforeDone: 0, executionStamps: stamps))
        let backend = ComfyUIBackend(client: try fake.client())
        guard case .remote(let id) = try await backend.generate(GenerationRequest(prompt: "a fox", model: Self.model), key: nil) else {
            Issue.record("no remote job"); return
        }
        let followed = try await backend.follow(remote: id, key: nil)
        guard case .images(let images, let cost) = followed else { Issue.record("\(followed)"); return }
        #expect(images.count == 1)
        #expect(cost == GenerationCost(duration: took), "no stamps, or a clock that ran backwards: no time reported")
        #expect(cost.tokens == nil)
    }

    @Test func followAnswersTheRemoteJobAgainWhenItsWindowEnds() async throws {
        let fake = try FakeComfyUI(.init(pollsBeforeDone: 1_000_000))
        let backend = ComfyUIBackend(client: try fake.client(followWindow: .zero))
        let outcome = try await backend.generate(GenerationRequest(prompt: "a fox", model: Self.model), key: nil)
        guard case .remote(let id) = outcome else { Issue.record("\(outcome)"); return }
        #expect(try await backend.follow(remote: id, key: nil) == .remote(id: id))
        #expect(fake.requests(to: "/view").isEmpty)
    }

    @Test func aPromptComfyUIKnowsNothingOfIsLost() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        await #expect(throws: BackendFailure.remoteLost("ComfyUI has the prompt gone-7 in neither its queue nor its history (was it restarted?)")) {
            try await backend.follow(remote: "gone-7", key: nil)
        }
        #expect(fake.requests(to: "/history/gone-7").count == 2, "asked again after the queue, in case it just finished")
    }

    @Test func aFailedExecutionIsPermanentNamingTheNodeAndTheException() async throws {
        let fake = try FakeComfyUI(.init(pollsBeforeDone: 0, executionError: "Allocation on device"))
        let backend = ComfyUIBackend(client: try fake.client())
        let outcome = try await backend.generate(GenerationRequest(prompt: "a fox", model: Self.model), key: nil)
        guard case .remote(let id) = outcome else { Issue.record("\(outcome)"); return }
        await #expect(throws: BackendFailure.permanent("ComfyUI failed the prompt \(id): node 3 (KSampler): Allocation on device")) {
            try await backend.follow(remote: id, key: nil)
        }
    }

    @Test func imageToImageUploadsTheInitImageAndEncodesIt() async throws {
        let fake = try FakeComfyUI(.init(pollsBeforeDone: 0))
        let backend = ComfyUIBackend(client: try fake.client())
        let initImage = FetchedImage(bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array("a jpeg".utf8), format: .jpeg)
        let outcome = try await backend.generate(
            GenerationRequest(prompt: "a cat", model: Self.model, seed: 5, count: 2, initImage: .inline(initImage)), key: nil
        )
        let upload = try #require(fake.requests(to: "/upload/image").last)
        #expect(upload.header("content-type")?.hasPrefix("multipart/form-data; boundary=") == true)
        let text = String(decoding: upload.body, as: UTF8.self)
        #expect(text.contains("name=\"image\"; filename=\"") && text.contains("Content-Type: image/jpeg") && text.contains("a jpeg"))
        #expect(text.contains("name=\"type\"\r\n\r\ninput"))
        let graph = try fake.lastGraph()
        #expect(graph["10"]?["class_type"] == "LoadImage" && graph["10"]?["inputs"]?["image"] == "visioncraft/upload.png")
        #expect(graph["11"]?["class_type"] == "VAEEncode" && graph["11"]?["inputs"]?["pixels"] == ["10", 0] && graph["11"]?["inputs"]?["vae"] == ["4", 2])
        #expect(graph["12"]?["class_type"] == "RepeatLatentBatch" && graph["12"]?["inputs"]?["amount"]?.intValue == 2)
        #expect(graph["3"]?["inputs"]?["latent_image"] == ["12", 0] && graph["3"]?["inputs"]?["denoise"]?.doubleValue == 0.75)
        #expect(graph["5"] == nil, "no empty latent")
        guard case .remote(let id) = outcome, case .images(let images, _) = try await backend.follow(remote: id, key: nil) else {
            Issue.record("\(outcome)")
            return
        }
        #expect(images.count == 2)
    }

    @Test func anInitImageByURLIsDownloadedThenUploaded() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        _ = try await backend.generate(
            GenerationRequest(prompt: "a cat", model: Self.model, initImage: .url(fake.server.baseURL + "/view?filename=remote.png")), key: nil
        )
        let upload = try #require(fake.requests(to: "/upload/image").last)
        #expect(upload.body.firstRange(of: FakeComfyUI.png("remote.png")) != nil, "ComfyUI's LoadImage reads only its input folder")
        #expect(try fake.lastGraph()["12"] == nil, "one image needs no repeated latent")
    }
}
