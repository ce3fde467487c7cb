import Backends
import HTTPServer
import JSON
import OpenAIAPI
import Testing

/// Each way the images API fails, as the scheduler is told it; and the key,
/// which a server may echo, in no text of any of them.
@Suite struct OpenAIFailureTests {
    static let key = "sk-proj-Zq81LmN4vX7b2Cd9"

    /// The failure of one text-to-image generation against `fake`.
    static func failure(_ fake: FakeOpenAI, key: String? = key, _ request: GenerationRequest = .init(prompt: "a cat", model: "gpt-image-1")) async -> BackendFailure? {
        do {
            _ = try await OpenAIBackend(client: try fake.client()).generate(request, key: key)
            return nil
        } catch let error as BackendFailure {
            return error
        } catch {
            Issue.record("not a BackendFailure: \(error)")
            return nil
        }
    }

    @Test func aRefusedKeyIsKeyRefusedAndNeverQuoted() async throws {
        let fake = try FakeOpenAI(.init(key: "sk-the-right-one-000"))
        guard case .keyRefused(let message)? = await Self.failure(fake) else { Issue.record("not keyRefused"); return }
        #expect(message.contains("HTTP 401") && message.contains("Incorrect API key provided"), "\(message)")
        #expect(!message.contains(Self.key) && !message.contains(String(Self.key.suffix(10))), "the echoed key is scrubbed: \(message)")
        guard case .keyRefused(let none)? = await Self.failure(fake, key: nil) else { Issue.record("not keyRefused"); return }
        #expect(none.contains("no key was sent") && none.contains("vcctl key set"), "\(none)")
        fake.override { _ in FakeOpenAI.error(403, "Your organization must be verified to use the model `gpt-image-1`.", type: "invalid_request_error") }
        #expect(await Self.failure(fake)?.kind == .auth)
    }

    @Test func rateLimitsWaitAsLongAsTheServerSays() async throws {
        let fake = try FakeOpenAI()
        fake.override { _ in FakeOpenAI.error(429, "Rate limit reached for images per min", type: "requests", code: "rate_limit_exceeded", headers: [("Retry-After", "20")]) }
        #expect(await Self.failure(fake) == .rateLimited("HTTP 429: Rate limit reached for images per min", retryAfter: .seconds(20)))
        fake.override { _ in
            FakeOpenAI.error(429, "Rate limit reached", type: "requests", code: "rate_limit_exceeded", headers: [("Retry-After", "20"), ("retry-after-ms", "1500")])
        }
        guard case .rateLimited(_, let wait)? = await Self.failure(fake) else { Issue.record("not rateLimited"); return }
        #expect(wait == .milliseconds(1500), "retry-after-ms is the finer")
    }

    @Test func anAccountOutOfCreditIsQuotaNotARateLimit() async throws {
        let fake = try FakeOpenAI()
        fake.override { _ in FakeOpenAI.error(429, "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", code: "insufficient_quota") }
        #expect(await Self.failure(fake)?.kind == .quota)
        fake.override { _ in FakeOpenAI.error(400, "Billing hard limit has been reached", type: "image_generation_user_error", code: "billing_hard_limit_reached") }
        #expect(await Self.failure(fake)?.kind == .quota)
    }

    @Test func refusalsNameTheJobFieldTheParamSets() async throws {
        let fake = try FakeOpenAI()
        let cases: [(String?, String?, String?)] = [
            ("size", nil, "width"), ("n", nil, "image_count"), ("prompt", nil, "prompt"), ("model", nil, "model"), ("image", nil, "init_images"),
            ("quality", nil, nil), (nil, "moderation_blocked", "prompt"), (nil, nil, nil),
        ]
        for (param, code, field) in cases {
            fake.override { _ in FakeOpenAI.error(400, "Invalid value: '\(Self.key)'.", param: param, code: code) }
            guard case .invalid(let message, let named)? = await Self.failure(fake) else { Issue.record("\(String(describing: param)) not invalid"); continue }
            #expect(named == field, "\(String(describing: param)), \(String(describing: code))")
            #expect(message.contains("Invalid value") && !message.contains(Self.key), "\(message)")
        }
    }

    @Test func anUnknownModelIsRefusedNamingTheModel() async throws {
        guard case .invalid(let message, let field)? = await Self.failure(try FakeOpenAI(), .init(prompt: "a cat", model: "gpt-image-9")) else {
            Issue.record("not invalid")
            return
        }
        #expect(field == "model" && message.contains("HTTP 404") && message.contains("gpt-image-9"), "\(message)")
    }

    @Test func serverTroubleIsTransientAndAWrongRouteSaysSo() async throws {
        let fake = try FakeOpenAI()
        fake.override { _ in FakeOpenAI.error(503, "The server is overloaded", type: "server_error", headers: [("Retry-After", "3")]) }
        #expect(await Self.failure(fake) == .transient("HTTP 503: The server is overloaded", retryAfter: .seconds(3)))
        fake.override { _ in .response(.text("<html>bad gateway</html>", status: .badGateway)) }
        #expect(await Self.failure(fake) == .transient("HTTP 502", retryAfter: nil))
        fake.override { _ in .resetConnection }
        #expect(await Self.failure(fake)?.kind == .transient)
        fake.override { _ in .response(.json(["error": "Not Found"], status: .notFound)) }
        guard case .invalid(let message, nil)? = await Self.failure(fake) else { Issue.record("not invalid"); return }
        #expect(message.contains("OpenAI-compatible"), "\(message)")
        fake.override { _ in .response(.json(["error": .string("sd-server says \(Self.key) is odd")], status: .badRequest)) }
        guard case .invalid(let sd, _)? = await Self.failure(fake) else { Issue.record("not invalid"); return }
        #expect(sd.contains("sd-server says") && !sd.contains(Self.key), "\(sd)")
    }

    @Test func longMessagesAreCappedAfterTheKeyIsScrubbed() async throws {
        let fake = try FakeOpenAI()
        let long = String(repeating: "x", count: 5000) + Self.key
        fake.override { _ in FakeOpenAI.error(400, Self.key + long) }
        guard case .invalid(let message, _)? = await Self.failure(fake) else { Issue.record("not invalid"); return }
        #expect(message.utf8.count < UpstreamText.maximumMessageBytes + 100 && !message.contains(String(Self.key.prefix(12))), "\(message.prefix(80))")
        #expect(message.contains("***"))
    }
}
