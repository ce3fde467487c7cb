import Imaging
import JSON
import Posix
import Testing
import TestSupport
import VisionCraftEmulator

/// An OpenAI emulator on a free loopback port, stopped by `stop()`.
func startOpenAI(_ configuration: OpenAIEmulator.Configuration = .init()) throws -> OpenAIEmulator {
    let emulator = try OpenAIEmulator(configuration: configuration)
    try emulator.start()
    return emulator
}

/// A generation's JSON body: a prompt, then the overrides.
func openAIBody(_ overrides: JSONObject = [:]) -> String {
    var body: JSONObject = ["prompt": "a lighthouse at dusk"]
    for (key, value) in overrides { body[key] = value }
    return JSON.object(body).description
}

/// `POST /v1/images/generations` on a fresh connection, with extra header lines.
func openAIGenerate(_ port: UInt16, _ overrides: JSONObject = [:], headers: [String] = []) throws -> ReceivedResponse {
    try rawRequest(RawHTTPClient(port: port), "POST", "/v1/images/generations", headers: headers, body: openAIBody(overrides))
}

/// The `error` object of an OpenAI error answer, checked for its four fields.
func openAIError(_ response: ReceivedResponse) throws -> JSON {
    guard let error = try json(response)["error"], case .object(let fields) = error else { throw TestFailure("no error object: \(response.status)") }
    #expect(Set(fields.keys) == ["message", "type", "param", "code"], "the API's four fields")
    return error
}

/// A multipart/form-data body: text fields, then files as (field, filename, content type, bytes).
func multipart(boundary: String, fields: [(String, String)], files: [(String, String, String, [UInt8])]) -> [UInt8] {
    var body: [UInt8] = []
    for (name, value) in fields {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    for (name, filename, type, bytes) in files {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        body += bytes + Array("\r\n".utf8)
    }
    return body + Array("--\(boundary)--\r\n".utf8)
}

/// `POST /v1/images/edits` with a form body.
func openAIEdit(_ port: UInt16, fields: [(String, String)], files: [(String, String, String, [UInt8])]) throws -> ReceivedResponse {
    let boundary = "----emulator-test-boundary"
    let body = multipart(boundary: boundary, fields: fields, files: files)
    let client = try RawHTTPClient(port: port)
    let head = "POST /v1/images/edits HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.count)\r\n\r\n"
    try client.connection.send(bytes: Array(head.utf8) + body)
    return try client.readResponse()
}

/// A small PNG to upload.
func uploadPNG(width: Int = 48, height: Int = 32) throws -> [UInt8] {
    try PNGCodec.encode(RGBAImage(width: width, height: height, fill: (10, 20, 30, 255)))
}

/// The images of a b64_json answer, decoded.
func decodedImages(_ response: ReceivedResponse) throws -> [RGBAImage] {
    guard response.status == 200 else { throw TestFailure("status \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
    return try (json(response)["data"]?.arrayValue ?? []).map { item in
        guard let text = item["b64_json"]?.stringValue else { throw TestFailure("no b64_json in \(item)") }
        return try PNGCodec.decode(decodeBase64(text)).image
    }
}

@Suite struct OpenAIEmulatorTests {
    @Test func gptImageGenerationsAnswerBase64PNGsOfTheSizeAskedWithUsage() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let response = try await offPool { try openAIGenerate(emulator.port, ["model": "gpt-image-1", "n": 2, "size": "1536x1024", "quality": "low"]) }
        let images = try decodedImages(response)
        #expect(images.count == 2)
        #expect(images.allSatisfy { $0.width == 1536 && $0.height == 1024 })
        let body = try json(response)
        #expect(body["created"]?.intValue.map { $0 > 1_700_000_000 } == true)
        #expect(body["data"]?[0]?["url"] == nil, "GPT image models answer base64 only")
        #expect(body["size"] == "1536x1024" && body["quality"] == "low" && body["output_format"] == "png" && body["background"] == "opaque")
        #expect(body["usage"]?["output_tokens"] == 816, "two low landscape images at 408 each")
        #expect(body["usage"]?["output_tokens_details"]?["image_tokens"] == 816)
        let usage = body["usage"]
        #expect(usage?["total_tokens"]?.intValue == (usage?["input_tokens"]?.intValue ?? 0) + 816)
        #expect(emulator.imagesMade == 2)
        #expect(emulator.statistics["POST /v1/images/generations"]?[200] == 1)
    }

    @Test func sizeAutoAndNoModelMeanGptImage1AtASquare() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let response = try await offPool { try openAIGenerate(emulator.port) }
        let images = try decodedImages(response)
        #expect(images.count == 1 && images[0].width == 1024 && images[0].height == 1024)
        #expect(try json(response)["quality"] == "medium", "auto quality resolves to medium")
    }

    @Test func aLocalModelAnswersURLsTheEmulatorServes() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let (answer, downloads) = try await offPool { () -> (JSON, [ReceivedResponse]) in
            let response = try openAIGenerate(emulator.port, ["model": "stablediffusion", "n": 2, "size": "96x64"])
            let body = try json(response)
            let urls = body["data"]?.arrayValue?.compactMap { $0["url"]?.stringValue } ?? []
            let downloads = try urls.map { url in
                try RawHTTPClient(port: emulator.port).request("GET", String(url.dropFirst(emulator.baseURL.count)))
            }
            return (body, downloads)
        }
        #expect(answer["data"]?.arrayValue?.count == 2)
        #expect(answer["usage"] == nil, "only GPT image models report usage")
        #expect(downloads.count == 2)
        for download in downloads {
            #expect(download.status == 200 && download.header("content-type") == "image/png")
            let image = try PNGCodec.decode(download.body).image
            #expect(image.width == 96 && image.height == 64)
        }
        #expect(downloads[0].body != downloads[1].body, "each image of a batch differs")
        #expect(emulator.statistics["GET /images"]?[200] == 2)

        let b64 = try await offPool { try openAIGenerate(emulator.port, ["model": "stablediffusion", "size": "64x64", "response_format": "b64_json", "quality": "high"]) }
        #expect(try decodedImages(b64).map(\.width) == [64], "a local server takes any quality")
    }

    @Test func gptImage2TakesFreeSizesWithinItsRules() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let sizes = ["1536x864", "1000x1008", "3840x1024", "4096x2048"]
        let responses = try await offPool { try sizes.map { try openAIGenerate(emulator.port, ["model": "gpt-image-2", "size": .string($0), "quality": "low"]) } }
        #expect(try decodedImages(responses[0]).map { [$0.width, $0.height] } == [[1536, 864]])
        #expect(try json(responses[0])["size"] == "1536x864")
        for (response, fragment) in zip(responses.dropFirst(), ["divisible by 16", "between 1:3 and 3:1", "3840x2160"]) {
            #expect(response.status == 400)
            let error = try openAIError(response)
            #expect(error["param"] == "size" && error["message"]?.stringValue?.contains(fragment) == true, "\(error)")
        }
    }

    @Test func gptImageModelsRefuseResponseFormat() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let response = try await offPool { try openAIGenerate(emulator.port, ["model": "gpt-image-1", "response_format": "url"]) }
        #expect(response.status == 400)
        let error = try openAIError(response)
        #expect(error["message"] == "Unknown parameter: 'response_format'.")
        #expect(error["type"] == "invalid_request_error" && error["param"] == "response_format" && error["code"] == "unknown_parameter")
        #expect(emulator.imagesMade == 0)
    }

    @Test func invalidRequestsNameTheParameter() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let cases: [(JSONObject, String, String, String)] = [
            (["size": "1000x1000"], "size", "invalid_value", "Supported values are: '1024x1024', '1536x1024', '1024x1536', and 'auto'."),
            (["n": 11], "n", "integer_above_max_value", "Expected a value <= 10, but got 11 instead."),
            (["n": 0], "n", "integer_below_min_value", "Expected a value >= 1, but got 0 instead."),
            (["n": "2"], "n", "invalid_type", "expected an integer, but got a string instead."),
            (["quality": "hd"], "quality", "invalid_value", "Invalid value: 'hd'."),
            (["output_format": "jpeg"], "output_format", "invalid_value", "PNG only"),
            (["background": "green"], "background", "invalid_value", "'transparent', 'opaque', and 'auto'"),
            (["style": "vivid"], "style", "unknown_parameter", "Unknown parameter: 'style'."),
            (["model": "gpt-4o-mini"], "model", "invalid_value", "Invalid value: 'gpt-4o-mini'."),
            (["model": "stablediffusion", "size": "10x10"], "size", "invalid_value", "sides from 64 to 2048"),
        ]
        let responses = try await offPool { try cases.map { try openAIGenerate(emulator.port, $0.0) } }
        for (response, (overrides, param, code, fragment)) in zip(responses, cases) {
            #expect(response.status == 400, "\(overrides)")
            let error = try openAIError(response)
            #expect(error["param"]?.stringValue == param && error["code"]?.stringValue == code, "\(overrides): \(error)")
            #expect(error["message"]?.stringValue?.contains(fragment) == true, "\(overrides): \(error)")
        }
        let (missing, unknown, garbage) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/v1/images/generations", body: "{\"n\": 1}"),
                try openAIGenerate(emulator.port, ["model": "dall-e-4"]),
                try client.request("POST", "/v1/images/generations", body: "{not json")
            )
        }
        #expect(missing.status == 400)
        #expect(try openAIError(missing)["code"] == "missing_required_parameter")
        #expect(try openAIError(missing)["param"] == "prompt")
        #expect(unknown.status == 404)
        let notFound = try openAIError(unknown)
        #expect(notFound["code"] == "model_not_found" && notFound["message"] == "The model 'dall-e-4' does not exist or you do not have access to it.")
        #expect(garbage.status == 400)
        #expect(try openAIError(garbage)["message"]?.stringValue?.hasPrefix("We could not parse the JSON body of your request.") == true)
        #expect(emulator.imagesMade == 0)
    }

    @Test func modelsListsTheCatalogAndUnknownPathsAreInvalidURLs() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let (list, one, missing, wrongMethod) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("GET", "/v1/models"), try client.request("GET", "/v1/models/gpt-image-1"),
                try client.request("GET", "/v1/models/nope"), try client.request("GET", "/v1/images/generations")
            )
        }
        let body = try json(list)
        #expect(body["object"] == "list")
        let models = body["data"]?.arrayValue ?? []
        #expect(models.contains { $0["id"] == "gpt-image-1" } && models.contains { $0["id"] == "gpt-4o-mini" })
        for model in models {
            #expect(model["object"] == "model" && model["owned_by"]?.stringValue != nil && model["created"]?.intValue != nil, "\(model)")
        }
        #expect(try json(one)["id"] == "gpt-image-1")
        #expect(missing.status == 404)
        #expect(try openAIError(missing)["code"] == "model_not_found")
        #expect(wrongMethod.status == 404)
        #expect(try openAIError(wrongMethod)["message"] == "Invalid URL (GET /v1/images/generations)")
        #expect(emulator.statistics["GET /v1/models"]?[200] == 1)
        #expect(emulator.statistics["other"]?[404] == 1)
    }

    @Test func editsTakeMultipartImagesAndFollowTheFirstImagesShape() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let wide = try uploadPNG(width: 60, height: 30)
        let (edited, twoImages, local) = try await offPool {
            (
                try openAIEdit(emulator.port, fields: [("prompt", "add a boat"), ("model", "gpt-image-1"), ("quality", "low")], files: [("image", "a.png", "image/png", wide)]),
                try openAIEdit(
                    emulator.port, fields: [("prompt", "merge them"), ("n", "2"), ("size", "1024x1024"), ("quality", "low")],
                    files: [("image[]", "a.png", "image/png", wide), ("image[]", "b.png", "image/png", try uploadPNG())]
                ),
                try openAIEdit(
                    emulator.port, fields: [("prompt", "add a boat"), ("model", "stablediffusion"), ("size", "64x96"), ("response_format", "b64_json")],
                    files: [("image", "a.png", "image/png", wide), ("mask", "m.png", "image/png", wide)]
                )
            )
        }
        let images = try decodedImages(edited)
        #expect(images.count == 1 && images[0].width == 1536 && images[0].height == 1024, "auto follows a landscape input")
        #expect(try json(edited)["usage"]?["input_tokens_details"]?["image_tokens"] == 323)
        let pair = try decodedImages(twoImages)
        #expect(pair.count == 2 && pair.allSatisfy { $0.width == 1024 && $0.height == 1024 })
        #expect(try json(twoImages)["usage"]?["input_tokens_details"]?["image_tokens"] == 646)
        #expect(try decodedImages(local).map { [$0.width, $0.height] } == [[64, 96]])
        #expect(emulator.statistics["POST /v1/images/edits"]?[200] == 3)
        #expect(emulator.imagesMade == 4)
    }

    @Test func editsRefuseWhatIsNotAFormOrNotAPicture() async throws {
        let emulator = try startOpenAI()
        defer { emulator.stop() }
        let png = try uploadPNG()
        let (noImage, text, badMask, json) = try await offPool {
            (
                try openAIEdit(emulator.port, fields: [("prompt", "x")], files: []),
                try openAIEdit(emulator.port, fields: [("prompt", "x")], files: [("image", "a.txt", "text/plain", Array("hello".utf8))]),
                try openAIEdit(emulator.port, fields: [("prompt", "x")], files: [("image", "a.png", "image/png", png), ("mask", "m.png", "image/png", try uploadPNG(width: 8, height: 8))]),
                try RawHTTPClient(port: emulator.port).request("POST", "/v1/images/edits", body: openAIBody())
            )
        }
        #expect(noImage.status == 400)
        #expect(try openAIError(noImage)["param"] == "image")
        #expect(try openAIError(noImage)["code"] == "missing_required_parameter")
        #expect(text.status == 400)
        #expect(try openAIError(text)["code"] == "unsupported_file_mimetype")
        #expect(try openAIError(text)["message"]?.stringValue?.contains("('text/plain')") == true)
        #expect(badMask.status == 400)
        #expect(try openAIError(badMask)["param"] == "mask")
        #expect(json.status == 400)
        #expect(try openAIError(json)["message"]?.stringValue?.contains("expected multipart/form-data") == true)
        #expect(emulator.imagesMade == 0)
    }

    @Test func apiKeysAreRequiredOnlyWhenConfigured() async throws {
        let open = try startOpenAI()
        defer { open.stop() }
        let locked = try startOpenAI(.init(apiKeys: ["sk-test-0123456789abcdef", "sk-other-key-000000"]))
        defer { locked.stop() }
        let size: JSONObject = ["model": "stablediffusion", "size": "64x64"]
        let (anonymous, none, wrong, right, models) = try await offPool {
            (
                try openAIGenerate(open.port, size),
                try openAIGenerate(locked.port, size),
                try openAIGenerate(locked.port, size, headers: ["Authorization: Bearer sk-wrong-key-123456789"]),
                try openAIGenerate(locked.port, size, headers: ["Authorization: Bearer sk-other-key-000000"]),
                try rawRequest(RawHTTPClient(port: locked.port), "GET", "/v1/models")
            )
        }
        #expect(anonymous.status == 200, "without --api-key any key or none is accepted")
        #expect(none.status == 401)
        let missing = try openAIError(none)
        #expect(missing["code"] == .null && missing["message"]?.stringValue?.hasPrefix("You didn't provide an API key.") == true)
        #expect(wrong.status == 401)
        let incorrect = try openAIError(wrong)
        #expect(incorrect["code"] == "invalid_api_key")
        let message = incorrect["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("Incorrect API key provided: sk-w") && message.contains("6789.") && !message.contains("sk-wrong-key-123456789"))
        #expect(right.status == 200)
        #expect(models.status == 401, "every API route takes the key")
        #expect(locked.imagesMade == 1)
    }

    @Test func theQuotaCutsOffWithTheBillingError() async throws {
        let emulator = try startOpenAI(.init(quotaImages: 3))
        defer { emulator.stop() }
        let statuses = try await offPool { try (0..<3).map { _ in try openAIGenerate(emulator.port, ["model": "stablediffusion", "size": "64x64", "n": 2]) } }
        #expect(statuses.map(\.status) == [200, 200, 429], "2 images, then 4 (the quota was not reached before), then none")
        let error = try openAIError(statuses[2])
        #expect(error["code"] == "insufficient_quota" && error["type"] == "insufficient_quota")
        #expect(statuses[2].header("retry-after") == nil, "no retry helps a billing error")
        #expect(emulator.imagesMade == 4)
        let stats = try await offPool { try RawHTTPClient(port: emulator.port).request("GET", "/_emulator/stats") }
        #expect(try json(stats)["images"] == ["made": 4, "quota": 3])
    }

    @Test func injectedRateLimitsCarryRetryAfterInSecondsAndMilliseconds() async throws {
        let plan = try FaultPlan().updated(with: ["too_many_requests_rate": 1, "retry_after_seconds": 7])
        let emulator = try startOpenAI(.init(faults: plan))
        defer { emulator.stop() }
        let response = try await offPool { try openAIGenerate(emulator.port, ["model": "gpt-image-1-mini"]) }
        #expect(response.status == 429)
        #expect(response.header("retry-after") == "7" && response.header("retry-after-ms") == "7000")
        let error = try openAIError(response)
        #expect(error["code"] == "rate_limit_exceeded" && error["type"] == "requests")
        #expect(error["message"]?.stringValue?.contains("gpt-image-1-mini") == true)
        #expect(emulator.imagesMade == 0, "a refused request makes no image")
    }

    @Test func serverErrorsResetsAndMalformedBodiesFollowThePlan() async throws {
        let emulator = try startOpenAI(.init(seed: 3, faults: try FaultPlan().updated(with: ["server_error_rate": 1])))
        defer { emulator.stop() }
        let size: JSONObject = ["model": "stablediffusion", "size": "64x64"]
        let errors = try await offPool { try (0..<12).map { _ in try openAIGenerate(emulator.port, size) } }
        #expect(Set(errors.map(\.status)).isSubset(of: [500, 502, 503]) && Set(errors.map(\.status)).count > 1)
        for response in errors where response.status != 502 {
            #expect(try openAIError(response)["type"] == "server_error")
        }
        emulator.faults = try FaultPlan().updated(with: ["reset_rate": 1])
        let reset = try await offPool { () -> Bool in
            do {
                _ = try openAIGenerate(emulator.port, size)
                return false
            } catch {
                return true
            }
        }
        #expect(reset, "the connection closes with no answer")
        emulator.faults = try FaultPlan().updated(with: ["malformed_rate": 1])
        let malformed = try await offPool { try (0..<8).map { _ in try openAIGenerate(emulator.port, size) } }
        #expect(malformed.allSatisfy { $0.status == 200 })
        #expect(malformed.allSatisfy { response in (try? json(response)["data"]?[0]?["url"]?.stringValue) == nil }, "none keeps the promise")
        #expect(emulator.statistics["POST /v1/images/generations"]?[0] == 1, "the reset is counted")
    }

    @Test func corruptedBase64AnswersFailTheirCRC() async throws {
        let emulator = try startOpenAI(.init(faults: try FaultPlan().updated(with: ["corrupt_download_rate": 1])))
        defer { emulator.stop() }
        let response = try await offPool { try openAIGenerate(emulator.port, ["model": "stablediffusion", "size": "64x64", "response_format": "b64_json"]) }
        #expect(response.status == 200)
        let text = try json(response)["data"]?[0]?["b64_json"]?.stringValue ?? ""
        #expect(throws: (any Error).self) { try PNGCodec.decode(try decodeBase64(text)) }
    }
}
