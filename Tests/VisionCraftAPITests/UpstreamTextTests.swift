import HTTPClient
import HTTPServer
import JSON
import Testing
@testable import VisionCraftAPI

/// Every string taken from an upstream is capped before it is stored,
/// logged or returned; the key is redacted before any cut.
@Suite struct UpstreamTextTests {
    static let huge = String(repeating: "x", count: 20 << 20)

    /// The message of an error.
    static func message(_ error: UpstreamError) -> String {
        switch error {
        case .transient(let message, _), .rateLimited(let message, _), .auth(let message), .invalid(let message, _),
            .protocolViolation(let message):
            message
        }
    }

    @Test func cappingKeepsWholeScalarsAndSaysHowLongTheTextWas() {
        #expect(UpstreamText.capped("short") == "short")
        let text = String(repeating: "é", count: 600)  // 1,200 bytes
        let capped = UpstreamText.capped(text)
        #expect(capped == String(repeating: "é", count: 512) + "... (1200 bytes in all)")
    }

    @Test func aHugeNonURLEntryMakesAShortError() {
        let body = JSONSerializer.serialize(["images": [.string(Self.huge)]])
        guard case .failure(let error) = UpstreamClassifier.readImages(body, key: "sk-secret-key") else {
            Issue.record("accepted")
            return
        }
        #expect(Self.message(error).utf8.count < 400, "\(Self.message(error).prefix(300))")
        #expect(Self.message(error).contains("bytes in all"))
    }

    @Test func aURLOverTheLimitIsRefusedNotCut() {
        let url = "https://a.example/" + String(repeating: "a", count: 7 << 20)
        let body = JSONSerializer.serialize(["images": [.string(url)]])
        guard case .failure(.protocolViolation(let message)) = UpstreamClassifier.readImages(body, key: nil) else {
            Issue.record("accepted a 7 MB URL")
            return
        }
        #expect(message.hasPrefix("an entry of \"images\" is a URL of \(url.utf8.count) bytes, over the 4096 taken"))
        #expect(message.utf8.count < 400)
        let fine = "https://a.example/" + String(repeating: "a", count: 4000)
        #expect(UpstreamClassifier.readImages(JSONSerializer.serialize(["images": [.string(fine)]]), key: nil) == .success([fine]))
    }

    @Test func hugeErrorMessagesAreCut() {
        for body in [
            JSONSerializer.serialize(["detail": .string(Self.huge)]), JSONSerializer.serialize(["error": ["message": .string(Self.huge)]]),
            Array(Self.huge.utf8),
        ] {
            let message = Self.message(UpstreamClassifier.classify(status: 500, retryAfterHeader: nil, body: body, key: nil, now: 0))
            #expect(message.utf8.count <= UpstreamText.maximumMessageBytes + 40, "\(message.utf8.count) bytes")
        }
    }

    @Test func theKeyIsRedactedBeforeTheCut() {
        let key = "KSECRET-0123456789abcdef"
        // The key straddles where a body used to be cut (200 bytes), and
        // where a message is cut now.
        for offset in [190, UpstreamText.maximumMessageBytes - 10] {
            let body = String(repeating: "y", count: offset) + "token=" + key + String(repeating: "z", count: 2000)
            let message = Self.message(UpstreamClassifier.classify(status: 502, retryAfterHeader: nil, body: Array(body.utf8), key: key, now: 0))
            #expect(!message.contains("KSECRET"), "offset \(offset): \(message)")
        }
    }

    @Test func aListWithAHugeNameIsRefused() async throws {
        let server = try HTTPServer { request in
            .response(.json(request.path == "/models" ? ["anything_V5", .string(String(repeating: "m", count: 1 << 20))] : ["Euler"]))
        }
        try server.start()
        defer { server.stop() }
        let api = VisionCraftClient(configuration: .init(baseURL: server.baseURL), http: try HTTPClient())
        do {
            _ = try await api.models()
            Issue.record("accepted a name of 1 MiB")
        } catch {
            #expect(Self.message(error).hasPrefix("GET /models listed a name of 1048576 bytes, over the 256 taken"))
            #expect(Self.message(error).utf8.count < 400)
        }
    }
}
