import A1111API
import Backends
import Base64Coding
import HTTPServer
import JSON
import Testing

/// Each way AUTOMATIC1111 fails, as the scheduler is told it; and the key,
/// which a server may echo, in no text of any of them.
@Suite struct A1111FailureTests {
    static let key = "carol:Pa55word-8e1f4b2a"

    /// The failure of one text-to-image generation against `fake`.
    static func failure(_ fake: FakeA1111, key: String? = key, _ request: GenerationRequest = .init(prompt: "a cat")) async -> BackendFailure? {
        do {
            _ = try await A1111Backend(client: try fake.client()).generate(request, key: key)
            return nil
        } catch let error as BackendFailure {
            return error
        } catch {
            Issue.record("not a BackendFailure: \(error)")
            return nil
        }
    }

    @Test func aRefusedKeySaysItIsUserColonPassword() async throws {
        let fake = try FakeA1111(.init(auth: "carol:another"))
        guard case .keyRefused(let message)? = await Self.failure(fake) else { Issue.record("not keyRefused"); return }
        #expect(message.contains("HTTP 401") && message.contains("Incorrect username or password"), "\(message)")
        #expect(message.contains("user:password") && message.contains("--api-auth"), "\(message)")
        let backend = A1111Backend(client: try fake.client(catalogKey: nil))
        let catalogFailure: BackendFailure?
        do {
            _ = try await backend.catalog()
            catalogFailure = nil
        } catch {
            catalogFailure = error
        }
        #expect(catalogFailure?.kind == .auth, "the lists need the key too")
    }

    @Test func aKeyWithoutAColonIsRefusedBeforeAnythingIsSent() async throws {
        let fake = try FakeA1111()
        guard case .keyRefused(let message)? = await Self.failure(fake, key: "just-a-token") else { Issue.record("not keyRefused"); return }
        #expect(message.contains("user:password"))
        #expect(!message.contains("just-a-token"))
        #expect(fake.requests(to: "/sdapi/v1/txt2img").isEmpty)
    }

    @Test func refusalsNameTheFieldTheyAreAbout() async throws {
        let fake = try FakeA1111()
        #expect(await Self.failure(fake, .init(prompt: "a cat", sampler: "Nope")) == .invalid("HTTP 404: Sampler not found", field: "sampler"))
        fake.override { _ in FakeA1111.error(404, "Model not found") }
        #expect(await Self.failure(fake) == .invalid("HTTP 404: Model not found", field: "model"))
        fake.override { _ in
            .response(.json(["detail": [["loc": ["body", "steps"], "msg": "value is not a valid integer", "type": "type_error.integer"]]], status: .unprocessableContent))
        }
        #expect(await Self.failure(fake) == .invalid("HTTP 422: steps: value is not a valid integer", field: "steps"))
        fake.override { _ in
            .response(.json(["detail": [["loc": ["body", "sampler_name"], "msg": "str type expected", "type": "type_error.str"]]], status: .unprocessableContent))
        }
        #expect(await Self.failure(fake) == .invalid("HTTP 422: sampler_name: str type expected", field: "sampler"), "A1111's name, our field")
        fake.override { _ in .response(.json(["error": "width and height must be positive"], status: .badRequest)) }
        #expect(await Self.failure(fake) == .invalid("HTTP 400: width and height must be positive", field: nil), "stable-diffusion.cpp's shape")
        fake.override { _ in FakeA1111.error(500, "Requests not allowed") }
        #expect(
            await Self.failure(fake, .init(prompt: "a cat", initImage: .url("https://example.com/cat.png")))
                == .invalid("HTTP 500: Requests not allowed", field: "init_images"),
            "a server that fetches no URL will not fetch this one later"
        )
        fake.override { _ in .response(.json(["detail": "Not Found"], status: .notFound)) }
        guard case .invalid(let message, nil)? = await Self.failure(fake) else { Issue.record("not invalid"); return }
        #expect(message.contains("--api"), "a server without the API: \(message)")
    }

    @Test func serverTroubleIsTransientAndItsRetryAfterHonoured() async throws {
        let fake = try FakeA1111()
        fake.override { _ in
            .response(.json(
                ["error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory"], status: .serviceUnavailable, headers: [("Retry-After", "7")]
            ))
        }
        #expect(await Self.failure(fake) == .transient("HTTP 503: CUDA out of memory", retryAfter: .seconds(7)))
        fake.override { _ in FakeA1111.error(500, "", kind: "RuntimeError") }
        #expect(await Self.failure(fake)?.kind == .transient)
        fake.override { _ in .response(.json(["error": "server_error", "message": "out of VRAM"], status: .internalServerError)) }
        #expect(await Self.failure(fake) == .transient("HTTP 500: out of VRAM", retryAfter: nil), "stable-diffusion.cpp's shape")
        fake.override { _ in .resetConnection }
        #expect(await Self.failure(fake)?.kind == .transient)
        fake.override { _ in .truncated(.json(["images": [], "info": "{}"]), bodyBytes: 5) }
        #expect(await Self.failure(fake)?.kind == .transient)
    }

    @Test func aSuccessNotShapedAsDocumentedIsAProtocolViolation() async throws {
        let fake = try FakeA1111()
        let png = Base64.encode(FakeA1111.png(0))
        func info(seeds: [Int], infotexts: [String]) -> JSON {
            .string(JSONSerializer.serializeToString([
                "all_seeds": .array(seeds.map { .number(JSONNumber($0)) }), "infotexts": .array(infotexts.map(JSON.string)),
            ]))
        }
        let answers: [(String, HTTPResponse)] = [
            ("not JSON", .text("<html>hello</html>")),
            ("no images", .json(["info": info(seeds: [1], infotexts: ["t"])])),
            ("no image", .json(["images": [], "info": info(seeds: [], infotexts: [])])),
            ("info not a string", .json(["images": [.string(png)], "info": ["all_seeds": [1], "infotexts": ["t"]]])),
            ("not base64", .json(["images": ["***"], "info": info(seeds: [1], infotexts: ["t"])])),
            ("not an image", .json(["images": [.string(Base64.encode(Array("GIF89a....".utf8)))], "info": info(seeds: [1], infotexts: ["t"])])),
            ("fewer seeds", .json(["images": [.string(png), .string(png)], "info": info(seeds: [1], infotexts: ["t", "u"])])),
            ("fewer infotexts", .json(["images": [.string(png), .string(png)], "info": info(seeds: [1, 2], infotexts: ["t"])])),
        ]
        for (what, answer) in answers {
            fake.override { _ in .response(answer) }
            let failure = await Self.failure(fake)
            #expect(failure?.kind == .protocol, "\(what): \(String(describing: failure))")
        }
        #expect(await Self.failure(fake)?.description.contains("2 images but 2 seeds and 1 infotexts") == true)
    }

    @Test func theKeyIsInNoTextOfAnyFailure() async throws {
        let fake = try FakeA1111()
        let password = String(Self.key.split(separator: ":")[1])
        let basic = Base64.encode(Array(Self.key.utf8))
        let echoes: [HTTPReply] = [
            FakeA1111.error(401, "user carol with password \(password) is unknown"),
            FakeA1111.error(404, "Sampler not found: credentials \(Self.key)"),
            FakeA1111.error(500, "proxy saw Authorization: Basic \(basic)"),
            .response(.json(["detail": [["loc": ["body", .string(password)], "msg": .string("bad \(Self.key)")]]], status: .unprocessableContent)),
            .response(.text("upstream said \(password)", status: .badGateway)),
            .response(.json(["images": [.string(password)], "info": "{}"])),
            .response(.json(["images": [], "info": .string("{\"all_seeds\": [\"\(password)\"]}")])),
        ]
        for echo in echoes {
            fake.override { _ in echo }
            let failure = try #require(await Self.failure(fake))
            let text = "\(failure)"
            #expect(!text.contains(password) && !text.contains(basic), "\(text)")
            #expect(text.contains("***") || failure.kind == .protocol, "\(text)")
        }
        // Names the lists give are scrubbed too.
        fake.override { request in
            request.path == "/sdapi/v1/samplers" ? .response(.json([["name": .string("sampler-\(password)"), "aliases": []]])) : nil
        }
        let catalog = try await A1111Backend(client: try fake.client(catalogKey: Self.key)).catalog()
        #expect(catalog.samplers == ["sampler-***"])
    }

    @Test func theInfotextsAreScrubbedOfTheKey() async throws {
        let fake = try FakeA1111()
        let password = String(Self.key.split(separator: ":")[1])
        let outcome = try await A1111Backend(client: try fake.client()).generate(.init(prompt: "a cat named \(password)"), key: Self.key)
        guard case .images(let images, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(images.first?.parameters?.hasPrefix("a cat named ***\n") == true, "\(images)")
    }
}
