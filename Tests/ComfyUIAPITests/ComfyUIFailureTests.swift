import Backends
import ComfyUIAPI
import HTTPClient
import HTTPServer
import Testing

/// ComfyUI's refusals and failures, as the scheduler acts on them.
@Suite struct ComfyUIFailureTests {
    @Test func aNodeErrorOnAnInputNamesTheJobFieldItSets() async throws {
        // Names not resolved first reach ComfyUI's validate_prompt as they are.
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        do {
            _ = try await backend.generate(GenerationRequest(prompt: "p", model: "missing.safetensors"), key: nil)
            Issue.record("an unknown checkpoint was queued")
        } catch {
            guard case .invalid(let message, let field) = error else { Issue.record("\(error)"); return }
            #expect(field == "model")
            #expect(message.contains("node 4 (CheckpointLoaderSimple) input ckpt_name: Value not in list") && message.contains("missing.safetensors"))
        }
        do {
            _ = try await backend.generate(GenerationRequest(prompt: "p", model: "v1-5-pruned-emaonly.safetensors", scheduler: "beta"), key: nil)
            Issue.record("an unknown scheduler was queued")
        } catch {
            guard case .invalid(_, let field) = error else { Issue.record("\(error)"); return }
            #expect(field == "scheduler")
        }
    }

    /// A server answering every request with `reply`.
    private func server(_ reply: @escaping @Sendable (HTTPRequest) -> HTTPReply) throws -> HTTPServer {
        let server = try HTTPServer(handler: reply)
        try server.start()
        return server
    }

    private func submit(to server: HTTPServer) async throws(BackendFailure) {
        let client = ComfyUIClient(configuration: .init(baseURL: server.baseURL, timeouts: .init(total: .seconds(30))), http: try! HTTPClient())
        _ = try await client.submit(GenerationRequest(prompt: "p", model: "m.safetensors"))
    }

    @Test func aNodeErrorOnAnInputOfTheGraphsOwnIsPermanent() async throws {
        let server = try server { _ in
            .response(.json([
                "error": ["type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": [:]],
                "node_errors": ["8": ["errors": [["type": "required_input_missing", "message": "Required input is missing", "details": "vae", "extra_info": ["input_name": "vae"]]], "dependent_outputs": ["9"], "class_type": "VAEDecode"]],
            ], status: .badRequest))
        }
        defer { server.stop() }
        await #expect(throws: BackendFailure.permanent("ComfyUI refused the graph: node 8 (VAEDecode) input vae: Required input is missing: vae")) {
            try await submit(to: server)
        }
    }

    @Test func aServerErrorIsTransientAndAMalformedAnswerAProtocolViolation() async throws {
        let failing = try server { _ in .response(.text("500 Internal Server Error", status: HTTPStatus(code: 500, reason: "Internal Server Error"))) }
        defer { failing.stop() }
        do {
            try await submit(to: failing)
            Issue.record("a 500 was taken")
        } catch {
            guard case .transient(let message, _) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("HTTP 500"))
        }
        let malformed = try server { _ in .response(.json(["number": 1])) }
        defer { malformed.stop() }
        await #expect(throws: BackendFailure.protocolViolation("POST /prompt answered no \"prompt_id\" string")) { try await submit(to: malformed) }
    }

    @Test func aResetConnectionIsTransient() async throws {
        let reset = try server { _ in .resetConnection }
        defer { reset.stop() }
        do {
            try await submit(to: reset)
            Issue.record("a reset connection was taken")
        } catch {
            guard case .transient = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func aHistoryThatIsNotTheDocumentedShapeIsAProtocolViolation() async throws {
        let server = try server { request in
            request.path.hasPrefix("/history/") ? .response(.json(["p-1": ["status": ["status_str": "success", "completed": true]]])) : .response(.json([:]))
        }
        defer { server.stop() }
        let client = ComfyUIClient(configuration: .init(baseURL: server.baseURL, timeouts: .init(total: .seconds(30))), http: try HTTPClient())
        await #expect(throws: BackendFailure.protocolViolation("GET /history/p-1 has no \"outputs\" object")) { try await client.follow("p-1") }
    }
}
