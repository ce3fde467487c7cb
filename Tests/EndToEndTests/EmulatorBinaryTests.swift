import JSON
import Posix
import Testing
import TestSupport

@Suite struct EmulatorBinaryTests {
    @Test func announcesItsURLServesAndStopsOnSIGTERM() async throws {
        let (announcement, models, forbidden, termination) = try await offPool {
            let output = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: try BuiltProducts.path("visioncraft-emulator"),
                arguments: ["--port", "0", "--token", "alpha", "--token", "beta"]
            )
            options.standardOutput = .descriptor(output.write)
            options.standardError = .null
            let child = try ChildProcess.spawn(options)
            try output.write.close()
            defer {
                child.send(.kill)
                _ = try? child.wait()
            }
            let lines = LineClient(descriptor: output.read)
            let announcement = try lines.readLine()
            guard let port = announcement.split(separator: ":").last.flatMap({ UInt16($0) }) else {
                throw TestFailure("no port in '\(announcement)'")
            }
            let client = try RawHTTPClient(port: port)
            let models = try client.request("GET", "/models")
            let body: JSON = ["model": "anything_V5", "sampler": "Euler", "prompt": "x", "image_count": 1, "token": "gamma"]
            let forbidden = try client.request("POST", "/generate", body: body.description)
            child.send(.terminate)
            return (announcement, models, forbidden, try child.wait())
        }
        #expect(announcement.hasPrefix("listening on http://127.0.0.1:"))
        #expect(models.status == 200)
        #expect(forbidden.status == 403)
        #expect(termination == .exited(0))
    }

    @Test func servesAUTOMATIC1111sAPIWithAuth() async throws {
        let (samplers, refused, generated) = try await offPool {
            let output = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: try BuiltProducts.path("visioncraft-emulator"),
                arguments: ["--api", "a1111", "--api-auth", "ann:s3cret,bob:pw", "--port", "0", "--error-rate", "0"]
            )
            options.standardOutput = .descriptor(output.write)
            options.standardError = .null
            let child = try ChildProcess.spawn(options)
            try output.write.close()
            defer {
                child.send(.kill)
                _ = try? child.wait()
            }
            let announcement = try LineClient(descriptor: output.read).readLine()
            guard let port = announcement.split(separator: ":").last.flatMap({ UInt16($0) }) else {
                throw TestFailure("no port in '\(announcement)'")
            }
            let client = try RawHTTPClient(port: port)
            try client.send("GET /sdapi/v1/samplers HTTP/1.1\r\nHost: t\r\nAuthorization: Basic Ym9iOnB3\r\n\r\n")
            let samplers = try client.readResponse()
            let refused = try client.request("GET", "/sdapi/v1/samplers")
            let body = #"{"prompt": "x", "seed": 3, "width": 64, "height": 64, "steps": 2}"#
            try client.send(
                "POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: t\r\nAuthorization: Basic YW5uOnMzY3JldA==\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            return (samplers, refused, try client.readResponse())
        }
        #expect(samplers.status == 200)
        #expect(try JSONParser.parse(samplers.body)[0]?["name"] == "DPM++ 2M")
        #expect(refused.status == 401)
        #expect(generated.status == 200)
        let info = try JSONParser.parse(Array((try JSONParser.parse(generated.body)["info"]?.stringValue ?? "").utf8))
        #expect(info["all_seeds"] == [3])
    }

    @Test func servesOpenAIsImagesAPIWithKeysAndAQuota() async throws {
        let (refused, generated, billed) = try await offPool {
            let output = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: try BuiltProducts.path("visioncraft-emulator"),
                arguments: ["--api", "openai", "--api-key", "sk-one,sk-two", "--quota-images", "1", "--port", "0"]
            )
            options.standardOutput = .descriptor(output.write)
            options.standardError = .null
            let child = try ChildProcess.spawn(options)
            try output.write.close()
            defer {
                child.send(.kill)
                _ = try? child.wait()
            }
            let announcement = try LineClient(descriptor: output.read).readLine()
            guard let port = announcement.split(separator: ":").last.flatMap({ UInt16($0) }) else {
                throw TestFailure("no port in '\(announcement)'")
            }
            let client = try RawHTTPClient(port: port)
            let body = #"{"prompt": "x", "model": "stablediffusion", "size": "64x64", "response_format": "b64_json"}"#
            let refused = try client.request("POST", "/v1/images/generations", body: body)
            let request = "POST /v1/images/generations HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer sk-two\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            try client.send(request)
            let generated = try client.readResponse()
            try client.send(request)
            return (refused, generated, try client.readResponse())
        }
        #expect(refused.status == 401)
        #expect(generated.status == 200)
        #expect(try JSONParser.parse(generated.body)["data"]?[0]?["b64_json"]?.stringValue != nil)
        #expect(billed.status == 429)
        #expect(try JSONParser.parse(billed.body)["error"]?["code"] == "insufficient_quota")
    }

    @Test func faultFlagsTakeEffect() async throws {
        let (faults, status) = try await offPool {
            let output = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: try BuiltProducts.path("visioncraft-emulator"),
                arguments: ["--error-rate", "1", "--rate-limit", "3/60", "--rate-limit-style", "403", "--latency", "1-2"]
            )
            options.standardOutput = .descriptor(output.write)
            options.standardError = .null
            let child = try ChildProcess.spawn(options)
            try output.write.close()
            defer {
                child.send(.kill)
                _ = try? child.wait()
            }
            let announcement = try LineClient(descriptor: output.read).readLine()
            guard let port = announcement.split(separator: ":").last.flatMap({ UInt16($0) }) else {
                throw TestFailure("no port in '\(announcement)'")
            }
            let client = try RawHTTPClient(port: port)
            let faults = try JSONParser.parse(try client.request("GET", "/_emulator/faults").body)
            let body: JSON = ["model": "anything_V5", "sampler": "Euler", "prompt": "x", "image_count": 1, "token": "t"]
            return (faults, try client.request("POST", "/generate", body: body.description).status)
        }
        #expect(faults["server_error_rate"] == 1)
        #expect(faults["rate_limit"] == ["requests": 3, "seconds": 60])
        #expect(faults["rate_limit_style"] == "403")
        #expect(faults["latency_ms"] == [1, 2])
        #expect([500, 502, 503].contains(status))
    }

    @Test(arguments: [
        (["--error-rate", "2"], "expects a number from 0.0 to 1.0"),
        (["--rate-limit", "2x60"], "expects N/SECONDS"),
        (["--latency", "a-b"], "expects milliseconds or MIN-MAX"),
        (["--rate-limit-style", "418"], "expects one of 429, 403"),
        (["--error-rate", "0.7", "--malformed-rate", "0.7"], "add up to more than 1"),
        (["--api", "midjourney"], "expects one of visioncraft, a1111, openai, comfyui"),
        (["--api", "a1111", "--token", "t"], "applies to --api visioncraft only"),
        (["--api-auth", "ann:pw"], "applies to --api a1111 only"),
        (["--api", "a1111", "--api-auth", "ann"], "expects USER:PASSWORD pairs"),
        (["--api", "a1111", "--a1111-version", "1.9"], "expects one of 1.8, 1.10"),
        (["--api", "openai", "--token", "t"], "applies to --api visioncraft only (OpenAI's API takes Bearer keys: --api-key"),
        (["--api", "openai", "--step-time", "5"], "applies to --api a1111 or comfyui only"),
        (["--api", "a1111", "--lose-history"], "applies to --api comfyui only"),
        (["--stall-queue"], "applies to --api comfyui only"),
        (["--api", "comfyui", "--token", "t"], "applies to --api visioncraft only (ComfyUI has no authentication"),
        (["--api", "comfyui", "--api-key", "k"], "applies to --api openai only"),
        (["--api", "a1111", "--api-key", "k"], "applies to --api openai only"),
        (["--quota-images", "3"], "applies to --api openai only"),
        (["--api", "openai", "--api-key", "a,,b"], "expects keys separated by commas"),
        (["--api", "openai", "--quota-images", "-1"], "--quota-images"),
    ])
    func badFaultFlagsAreUsageErrors(arguments: [String], message: String) async throws {
        let emulator = try BuiltProducts.path("visioncraft-emulator")
        let output = try await offPool { try runProcess(emulator, arguments) }
        #expect(output.status == 64)
        #expect(output.standardError.contains(message), "\(output.standardError)")
    }

    @Test func badArgumentsAreUsageErrors() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("tokens"), Array("# only comments\n\n".utf8))
        let emulator = try BuiltProducts.path("visioncraft-emulator")
        let (port, seed, tokens) = try await offPool {
            (
                try runProcess(emulator, ["--port", "70000"]),
                try runProcess(emulator, ["--seed", "-3"]),
                try runProcess(emulator, ["--tokens-file", folder.file("tokens")])
            )
        }
        #expect(port.status == 64)
        #expect(port.standardError.contains("expects an integer from 0 to 65535"))
        #expect(seed.status == 64)
        #expect(tokens.status == 64)
        #expect(tokens.standardError.contains("lists no tokens"))
    }
}
