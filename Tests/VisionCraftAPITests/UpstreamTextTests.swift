import Backends
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
        guard case .failure(let error) = UpstreamClassifier.readImages(body, keys: ["sk-secret-key"]) else {
            Issue.record("accepted")
            return
        }
        #expect(Self.message(error).utf8.count < 400, "\(Self.message(error).prefix(300))")
        #expect(Self.message(error).contains("bytes in all"))
    }

    @Test func aURLOverTheLimitIsRefusedNotCut() {
        let url = "https://a.example/" + String(repeating: "a", count: 7 << 20)
        let body = JSONSerializer.serialize(["images": [.string(url)]])
        guard case .failure(.protocolViolation(let message)) = UpstreamClassifier.readImages(body, keys: []) else {
            Issue.record("accepted a 7 MB URL")
            return
        }
        #expect(message.hasPrefix("an entry of \"images\" is a URL of \(url.utf8.count) bytes, over the 4096 taken"))
        #expect(message.utf8.count < 400)
        let fine = "https://a.example/" + String(repeating: "a", count: 4000)
        #expect(UpstreamClassifier.readImages(JSONSerializer.serialize(["images": [.string(fine)]]), keys: []) == .success([fine]))
    }

    @Test func hugeErrorMessagesAreCut() {
        for body in [
            JSONSerializer.serialize(["detail": .string(Self.huge)]), JSONSerializer.serialize(["error": ["message": .string(Self.huge)]]),
            Array(Self.huge.utf8),
        ] {
            let message = Self.message(UpstreamClassifier.classify(status: 500, retryAfterHeader: nil, body: body, keys: [], now: 0))
            #expect(message.utf8.count <= UpstreamText.maximumMessageBytes + 40, "\(message.utf8.count) bytes")
        }
    }

    @Test func theKeyIsRedactedBeforeTheCut() {
        let key = "KSECRET-0123456789abcdef"
        // The key straddles where a body used to be cut (200 bytes), and
        // where a message is cut now.
        for offset in [190, UpstreamText.maximumMessageBytes - 10] {
            let body = String(repeating: "y", count: offset) + "token=" + key + String(repeating: "z", count: 2000)
            let message = Self.message(UpstreamClassifier.classify(status: 502, retryAfterHeader: nil, body: Array(body.utf8), keys: [key], now: 0))
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

    static let key = "KSECRET-0123456789abcdef"

    /// Whether `text` holds any piece of `key` of 8 bytes or more.
    static func holdsAPiece(_ text: String, of key: String = key) -> Bool {
        let bytes = Array(key.utf8)
        return (0...(bytes.count - 8)).contains { start in
            text.utf8.firstRange(of: bytes[start..<(start + 8)]) != nil
        }
    }

    @Test func scrubbingRemovesTheKeyAndEveryPieceOfEightBytesOrMore() {
        let key = Self.key
        #expect(UpstreamText.scrubbed("token=\(key)&again=\(key)", keys: [key]) == "token=***&again=***")
        #expect(UpstreamText.scrubbed("shown as \(key.prefix(12))...", keys: [key]) == "shown as ***...")
        #expect(UpstreamText.scrubbed("tail \(key.suffix(9)) end", keys: [key]) == "tail *** end")
        #expect(UpstreamText.scrubbed("two \(key.prefix(10))\(key.suffix(10)) glued", keys: [key]) == "two *** glued")
        #expect(UpstreamText.scrubbed("seven \(key.prefix(7)) stays", keys: [key]) == "seven \(key.prefix(7)) stays", "under 8 bytes is no piece")
        #expect(UpstreamText.scrubbed("either \(key) or sk-other-key-42", keys: ["sk-other-key-42", key]) == "either *** or ***")
        #expect(UpstreamText.scrubbed("short abcd key", keys: ["abcd"]) == "short *** key", "a key under 8 bytes goes where it is whole")
        #expect(UpstreamText.scrubbed("nothing here", keys: [key]) == "nothing here")
        #expect(UpstreamText.scrubbed("é \(key) ü", keys: [key]) == "é *** ü")
    }

    @Test func piecesOfTheKeyAreScrubbedBeforeEveryCut() {
        let key = Self.key
        let piece = String(key.prefix(14))
        // Pieces straddling the 80 and 200 bytes where excerpts were cut,
        // and the 1 KiB where a message is cut.
        for offset in [75, 195, UpstreamText.maximumMessageBytes - 5] {
            let padding = String(repeating: "y", count: offset)
            let bodies = [
                padding + "token=" + key + " / " + piece + String(repeating: "z", count: 2000),
                #"{"error":{"message":"\#(padding)\#(piece)... is not a valid token"}}"#,
                #"{"detail":[{"loc":["body","\#(padding)\#(key)"],"msg":"\#(padding) bad \#(piece)"}]}"#,
            ]
            for body in bodies {
                let error = UpstreamClassifier.classify(status: 422, retryAfterHeader: nil, body: Array(body.utf8), keys: [key], now: 0)
                #expect(!Self.holdsAPiece(Self.message(error)), "offset \(offset): \(Self.message(error))")
                if case .invalid(_, let field) = error, let field {
                    #expect(!Self.holdsAPiece(field), "the field: \(field)")
                }
            }
            let images = [
                #"{"images":[{"url":"x","token":"\#(padding)\#(piece)"}]}"#, #"{"images":"\#(padding)\#(key)"}"#, "\(padding)\(key) not JSON",
            ]
            for body in images {
                guard case .failure(let error) = UpstreamClassifier.readImages(Array(body.utf8), keys: [key]) else {
                    Issue.record("accepted \(body)")
                    continue
                }
                #expect(!Self.holdsAPiece(Self.message(error)), "offset \(offset): \(Self.message(error))")
            }
        }
    }

    @Test func anImageURLHoldingTheKeyIsRefused() {
        let url = "https://cdn.example/i.png?token=" + Self.key.prefix(10)
        guard case .failure(.protocolViolation(let message)) = UpstreamClassifier.readImages(JSONSerializer.serialize(["images": [.string(url)]]), keys: [Self.key]) else {
            Issue.record("accepted a URL that holds the key")
            return
        }
        #expect(message.hasPrefix("an entry of \"images\" holds the API key"), "\(message)")
        #expect(!Self.holdsAPiece(message))
    }

    /// A key sent once is scrubbed from later answers too, keyed or not:
    /// the model list here, which is fetched without the key.
    @Test func aKeySentBeforeIsScrubbedFromALaterList() async throws {
        let key = Self.key
        let server = try HTTPServer { request in
            switch request.path {
            case "/generate": return .response(.json(["detail": "no"], status: .unprocessableContent))
            case "/models": return .response(.json(["anything_V5", .string("echo " + key.prefix(12))]))
            default: return .response(.json(["Euler"]))
            }
        }
        try server.start()
        defer { server.stop() }
        let api = VisionCraftClient(configuration: .init(baseURL: server.baseURL), http: try HTTPClient())
        do {
            _ = try await api.generate(GenerationParameters(prompt: "p", model: "anything_V5", sampler: "Euler"), key: key)
            Issue.record("the 422 was taken for images")
        } catch {}
        let models = try await api.models()
        #expect(models == ["anything_V5", "echo ***"], "\(models)")
    }
}
