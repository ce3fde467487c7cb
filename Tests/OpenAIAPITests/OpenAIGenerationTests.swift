import Backends
import Base64Coding
import JSON
import Jobs
import OpenAIAPI
import Posix
import Testing
import TestSupport

/// What the images API is sent for a request, and what its answer becomes.
@Suite struct OpenAIGenerationTests {
    static let key = "sk-proj-7f3a9c2e1b8d4f6a0e5c"

    @Test func aGPTImageModelIsSentWhatItTakesAndItsBase64ImagesComeBack() async throws {
        let fake = try FakeOpenAI(.init(key: Self.key))
        let backend = OpenAIBackend(client: try fake.client(configuration: .init(quality: "high")))
        let request = GenerationRequest(prompt: "a lighthouse", negativePrompt: "fog", model: "gpt-image-1", count: 3, width: 1536, height: 1024)
        let outcome = try await backend.generate(request, key: Self.key)
        let sent = try fake.lastBody("/v1/images/generations")
        #expect(sent["prompt"] == "a lighthouse", "no negative prompt unless a separator is configured")
        #expect(sent["model"] == "gpt-image-1" && sent["n"]?.intValue == 3 && sent["size"] == "1536x1024")
        #expect(sent["quality"] == "high" && sent["output_format"] == "png")
        #expect(sent["response_format"] == nil, "GPT image models refuse response_format")
        for field in ["seed", "steps", "cfg_scale", "guidance", "sampler", "negative_prompt"] { #expect(sent[field] == nil, "\(field) is not an API field") }
        #expect(fake.requests(to: "/v1/images/generations").last?.header("authorization") == "Bearer \(Self.key)")
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.map(\.image.bytes) == (0..<3).map(FakeOpenAI.png))
        #expect(images.map(\.image.format) == [.png, .png, .png])
        #expect(images.allSatisfy { $0.seed == nil && $0.parameters == nil }, "revised_prompt is not infotext")
    }

    @Test func theTokensAnAnswersUsageReportsAreItsCostAndAnAnswerWithoutOneCostsNothingKnown() async throws {
        let fake = try FakeOpenAI()
        let backend = OpenAIBackend(client: try fake.client())
        // FakeOpenAI answers `usage: {total_tokens: 100, input_tokens: 50, output_tokens: 50}`.
        let reported = try await backend.generate(.init(prompt: "a lighthouse", model: "gpt-image-1"), key: nil)
        #expect(reported.cost == GenerationCost(tokens: TokenCounts(input: 50, output: 50, total: 100)))
        #expect(reported.cost.duration == nil, "the images API reports no time")
        let png = JSON.string(Base64.encode(FakeOpenAI.png(0)))
        let bodies: [(JSON, TokenCounts?)] = [
            (["created": 1, "data": [["b64_json": png]]], nil),
            (["created": 1, "data": [["url": "http://x/0.png"]]], nil),
            (["created": 1, "data": [["b64_json": png]], "usage": nil], nil),
            (["created": 1, "data": [["b64_json": png]], "usage": ["input_tokens": "many", "output_tokens": -3, "total_tokens": 1.5]], nil),
            (["created": 1, "data": [["b64_json": png]], "usage": ["total_tokens": 12]], TokenCounts(total: 12)),
            (["created": 1, "data": [["url": "http://x/0.png"]], "usage": ["input_tokens": 7, "output_tokens": 0, "total_tokens": 7]], TokenCounts(input: 7, output: 0, total: 7)),
        ]
        for (body, tokens) in bodies {
            fake.override { _ in .response(.json(body)) }
            let outcome = try await backend.generate(.init(prompt: "a cat", model: "dall-e-3"), key: nil)
            #expect(outcome.cost == GenerationCost(tokens: tokens), "\(body)")
        }
    }

    @Test func anotherNamedModelIsAskedForBase64() async throws {
        let fake = try FakeOpenAI()
        let outcome = try await OpenAIBackend(client: try fake.client()).generate(.init(prompt: "a cat", model: "dall-e-3"), key: "")
        let sent = try fake.lastBody("/v1/images/generations")
        #expect(sent["response_format"] == "b64_json" && sent["output_format"] == nil && sent["size"] == nil && sent["quality"] == nil)
        #expect(fake.requests(to: "/v1/images/generations").last?.header("authorization") == nil, "an empty key is none: no Authorization")
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.map(\.image.bytes) == [FakeOpenAI.png(0)])
    }

    @Test func anAnswerOfURLsIsHandedOverAsURLsAndFetchDownloadsThem() async throws {
        let fake = try FakeOpenAI(.init(models: ["stablediffusion"]))
        // No model named: the server's default, which answers URLs (LocalAI's default).
        let backend = OpenAIBackend(client: try fake.client(configuration: .init(negativePromptSeparator: "|")))
        let outcome = try await backend.generate(.init(prompt: "a cat", negativePrompt: "dog", model: "stablediffusion", count: 2), key: nil)
        #expect(try fake.lastBody("/v1/images/generations")["prompt"] == "a cat|dog", "LocalAI's positive|negative")
        guard case .images = outcome else { Issue.record("asked for b64_json: \(outcome)"); return }
        fake.override { request in
            guard request.path == "/v1/images/generations" else { return nil }
            return .response(.json(["created": 1, "data": [["url": .string("\(fake.baseURL)/files/0.png")], ["url": .string("\(fake.baseURL)/files/1.png")]]]))
        }
        let urls = try await backend.generate(.init(prompt: "a cat"), key: nil)
        #expect(urls == .urls(["\(fake.baseURL)/files/0.png", "\(fake.baseURL)/files/1.png"]))
        #expect(try fake.lastBody("/v1/images/generations")["response_format"] == nil, "no model named: no response_format")
        let image = try await backend.fetch("\(fake.baseURL)/files/1.png")
        #expect(image == FetchedImage(bytes: FakeOpenAI.png(1), format: .png))
        await #expect(throws: DownloadError.gone(status: 404)) { try await backend.fetch("\(fake.baseURL)/nothing") }
    }

    @Test func imageToImageSendsTheInitImageAsAMultipartFile() async throws {
        let fake = try FakeOpenAI(.init(key: Self.key))
        let backend = OpenAIBackend(client: try fake.client())
        let initImage = FetchedImage(bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array("a jpeg\r\n--not-a-boundary".utf8), format: .jpeg)
        let outcome = try await backend.generate(
            .init(prompt: "a cat in a hat", model: "gpt-image-1", count: 2, width: 1024, height: 1024, initImage: .inline(initImage)), key: Self.key
        )
        #expect(fake.requests(to: "/v1/images/generations").isEmpty)
        let request = try #require(fake.requests(to: "/v1/images/edits").last)
        #expect(request.header("authorization") == "Bearer \(Self.key)")
        let parts = try #require(Multipart.parts(request))
        #expect(parts["image"] == Multipart.Part(filename: "image.jpg", contentType: "image/jpeg", bytes: initImage.bytes))
        #expect(parts["prompt"]?.bytes == Array("a cat in a hat".utf8) && parts["model"]?.bytes == Array("gpt-image-1".utf8))
        #expect(parts["n"]?.bytes == Array("2".utf8) && parts["size"]?.bytes == Array("1024x1024".utf8))
        #expect(parts["response_format"] == nil && parts["output_format"]?.bytes == Array("png".utf8))
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.map(\.image.bytes) == [FakeOpenAI.png(0), FakeOpenAI.png(1)])
    }

    @Test func aLocalInitImageThatComesNamedIsReadAndSent() async throws {
        let fake = try FakeOpenAI()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path + "/start.png"
        try FileSystem.writeFileAtomically(path, FakeOpenAI.png(5))
        let backend = OpenAIBackend(client: try fake.client())
        _ = try await backend.generate(.init(prompt: "a cat", initImage: .file(path)), key: nil)
        let edit = try #require(fake.requests(to: "/v1/images/edits").last)
        #expect(Multipart.parts(edit)?["image"] == Multipart.Part(filename: "image.png", contentType: "image/png", bytes: FakeOpenAI.png(5)))
        let failure: BackendFailure?
        do {
            _ = try await backend.generate(.init(prompt: "a cat", initImage: .file(folder.path + "/gone.png")), key: nil)
            failure = nil
        } catch {
            failure = error
        }
        guard case .invalid(_, let field)? = failure else { Issue.record("\(String(describing: failure))"); return }
        #expect(field == "init_images")
        #expect(fake.requests(to: "/v1/images/edits").count == 1, "nothing sent for a file that is not there")
    }

    @Test func anInitImageURLIsDownloadedAndSentAsTheFile() async throws {
        let fake = try FakeOpenAI()
        let backend = OpenAIBackend(client: try fake.client())
        _ = try await backend.generate(.init(prompt: "a cat", model: "dall-e-3", initImage: .url("\(fake.baseURL)/files/7.png")), key: nil)
        let edit = try #require(fake.requests(to: "/v1/images/edits").last)
        let parts = try #require(Multipart.parts(edit))
        #expect(parts["image"]?.bytes == FakeOpenAI.png(7) && parts["image"]?.contentType == "image/png")
        #expect(parts["response_format"]?.bytes == Array("b64_json".utf8))
        let failure: BackendFailure?
        do {
            _ = try await backend.generate(.init(prompt: "a cat", initImage: .url("\(fake.baseURL)/gone.png")), key: nil)
            failure = nil
        } catch {
            failure = error
        }
        guard case .invalid(_, let field)? = failure else { Issue.record("\(String(describing: failure))"); return }
        #expect(field == "init_images")
    }

    @Test func answersNotOfTheDocumentedShapeAreProtocolViolations() async throws {
        let fake = try FakeOpenAI()
        let backend = OpenAIBackend(client: try fake.client())
        let bodies: [(JSON, String)] = [
            (["created": 1], "no \"data\""),
            (["data": []], "no image"),
            (["data": [["b64_json": "!!!"]]], "not base64"),
            (["data": [["b64_json": .string(Base64.encode(Array("plain text".utf8)))]]], "not a PNG"),
            (["data": [["b64_json": .string(Base64.encode(FakeOpenAI.png(0)))], ["url": "http://x/1.png"]]], "mixes"),
            (["data": [["url": "file:///etc/passwd"]]], "not http(s)"),
            (["data": [["url": .string("http://x/\(Self.key).png")]]], "holds the API key"),
        ]
        for (body, expected) in bodies {
            fake.override { _ in .response(.json(body)) }
            let failure: BackendFailure?
            do {
                _ = try await backend.generate(.init(prompt: "a cat"), key: Self.key)
                failure = nil
            } catch {
                failure = error
            }
            guard case .protocolViolation(let message)? = failure else { Issue.record("\(body): \(String(describing: failure))"); continue }
            #expect(message.contains(expected), "\(message)")
            #expect(!message.contains(Self.key))
        }
        fake.override { _ in .response(.text("<html>hello</html>")) }
        await #expect(throws: BackendFailure.self) { try await backend.generate(.init(prompt: "a cat"), key: nil) }
    }
}
