import Imaging
import JSON
import Posix
import Testing
import TestSupport
import VisionCraftEmulator

/// An A1111 emulator on a free loopback port, stopped by `stop()`.
func startA1111(_ configuration: A1111Emulator.Configuration = .init()) throws -> A1111Emulator {
    let emulator = try A1111Emulator(configuration: configuration)
    try emulator.start()
    return emulator
}

/// A txt2img body with overrides.
func txt2imgBody(_ overrides: JSONObject = [:]) -> String {
    var body: JSONObject = [
        "prompt": "a lighthouse at dusk", "negative_prompt": "fog", "seed": 1234, "steps": 20, "cfg_scale": 7,
        "width": 96, "height": 64, "sampler_name": "Euler a", "scheduler": "karras",
    ]
    for (key, value) in overrides { body[key] = value }
    return JSON.object(body).description
}

/// A request with extra header lines, sent raw.
func rawRequest(
    _ client: RawHTTPClient, _ method: String, _ target: String, headers: [String] = [], body: String? = nil, contentType: String = "application/json"
) throws -> ReceivedResponse {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n" + headers.map { "\($0)\r\n" }.joined()
    if let body { text += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
    try client.send(text + "\r\n" + (body ?? ""))
    return try client.readResponse()
}

/// A generation's answer: its images decoded with their text chunks, its
/// `parameters` and its `info` (a JSON document inside a string).
struct A1111Answer {
    var images: [(image: RGBAImage, parameters: String?)]
    var parameters: JSON
    var info: JSON

    init(_ response: ReceivedResponse) throws {
        guard response.status == 200 else { throw TestFailure("status \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
        let body = try JSONParser.parse(response.body)
        images = try (body["images"]?.arrayValue ?? []).map { item in
            guard let text = item.stringValue else { throw TestFailure("an image is not a string: \(item)") }
            let decoded = try PNGCodec.decode(try decodeBase64(text))
            return (decoded.image, decoded.text.first { $0.keyword == "parameters" }?.text)
        }
        parameters = body["parameters"] ?? .null
        guard let info = body["info"]?.stringValue else { throw TestFailure("info is not a string") }
        self.info = try JSONParser.parse(Array(info.utf8))
    }

    var infotexts: [String] { info["infotexts"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    var seeds: [Int] { info["all_seeds"]?.arrayValue?.compactMap(\.intValue) ?? [] }
}

@Suite struct A1111EmulatorTests {
    @Test func txt2imgAnswersTheBatchAsPNGsCarryingTheirInfotexts() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let response = try await offPool {
            try RawHTTPClient(port: emulator.port).request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["batch_size": 3]))
        }
        #expect(response.header("content-type") == "application/json")
        let answer = try A1111Answer(response)
        #expect(answer.images.count == 3)
        #expect(answer.seeds == [1234, 1235, 1236])
        #expect(answer.info["seed"] == 1234)
        #expect(answer.infotexts.count == 3)
        for (index, picture) in answer.images.enumerated() {
            #expect(picture.image.width == 96 && picture.image.height == 64)
            #expect(picture.parameters == answer.infotexts[index], "image \(index)'s parameters chunk")
            let fields = A1111InfotextParser.parse(answer.infotexts[index])
            #expect(fields["Seed"] == String(1234 + index))
            #expect(fields["Prompt"] == "a lighthouse at dusk")
            #expect(fields["Negative prompt"] == "fog")
        }
        #expect(
            answer.infotexts[0]
                == "a lighthouse at dusk\nNegative prompt: fog\nSteps: 20, Sampler: Euler a, Schedule type: Karras, CFG scale: 7.0, Seed: 1234, Size: 96x64, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1"
        )
        #expect(answer.images[0].image != answer.images[1].image, "each seed draws its own picture")
        #expect(answer.info["sd_model_name"] == "v1-5-pruned-emaonly")
        #expect(answer.info["sd_model_hash"] == "6ce0161689")
        #expect(answer.info["sampler_name"] == "Euler a")
        #expect(answer.info["cfg_scale"] == 7.0)
        #expect(answer.info["index_of_first_image"] == 0)
        #expect(answer.info["version"] == "v1.10.1")
        // parameters echoes the request model: coerced values and every default.
        #expect(answer.parameters["cfg_scale"]?.numberValue?.text == "7.0")
        #expect(answer.parameters["sampler_index"] == "Euler")
        #expect(answer.parameters["n_iter"] == 1)
        #expect(answer.parameters["send_images"] == true)
        #expect(answer.parameters["override_settings"] == .null)
        #expect(emulator.statistics["POST /sdapi/v1/txt2img"]?[200] == 1)
    }

    @Test func aSeedDrawsTheSamePictureWhereverItFallsAndSizesFollowTheLatent() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (batch, single, odd) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["batch_size": 2, "n_iter": 2])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["seed": 1237])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["width": 100, "height": 70]))
            )
        }
        let four = try A1111Answer(batch)
        #expect(four.seeds == [1234, 1235, 1236, 1237])
        #expect(four.images.count == 4)
        #expect(four.info["batch_size"] == 2)
        let one = try A1111Answer(single)
        #expect(one.images.map(\.image) == [four.images[3].image])
        // SD decodes a latent of width/8 x height/8; the infotext keeps the size asked.
        let rounded = try A1111Answer(odd)
        #expect(rounded.images[0].image.width == 96 && rounded.images[0].image.height == 64)
        #expect(A1111InfotextParser.parse(rounded.infotexts[0])["Size-1"] == "100")
    }

    @Test func seedMinusOneIsDrawnAndReported() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (first, second) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["seed": -1, "batch_size": 2])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["seed": -1]))
            )
        }
        let answer = try A1111Answer(first)
        let seed = try #require(answer.info["seed"]?.intValue)
        #expect(seed >= 0 && seed < 4_294_967_294)
        #expect(answer.seeds == [seed, seed + 1])
        #expect(A1111InfotextParser.parse(answer.infotexts[1])["Seed"] == String(seed + 1))
        #expect(try A1111Answer(second).info["seed"]?.intValue != seed)
        #expect(answer.parameters["seed"] == -1, "parameters echoes the request")
    }

    @Test func listsModelsSamplersSchedulersOptionsAndProgress() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (models, samplers, schedulers, options, progress) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try json(client.request("GET", "/sdapi/v1/sd-models")), try json(client.request("GET", "/sdapi/v1/samplers")),
                try json(client.request("GET", "/sdapi/v1/schedulers")), try json(client.request("GET", "/sdapi/v1/options")),
                try json(client.request("GET", "/sdapi/v1/progress"))
            )
        }
        #expect(models.arrayValue?.count == 2)
        #expect(models[0]?["title"] == "v1-5-pruned-emaonly.safetensors [6ce0161689]")
        #expect(models[0]?["model_name"] == "v1-5-pruned-emaonly")
        #expect(models[0]?["hash"] == "6ce0161689")
        #expect(models[0]?["sha256"]?.stringValue?.hasPrefix("6ce0161689") == true)
        #expect(models[0]?["filename"]?.stringValue?.hasSuffix("/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors") == true)
        #expect(models[0]?["config"] == .null)
        #expect(samplers[0]?["name"] == "DPM++ 2M")
        #expect(samplers[0]?["options"] == ["scheduler": "karras"])
        let euler = samplers.arrayValue?.first { $0["name"] == "Euler" }
        #expect(euler?["aliases"] == ["k_euler"])
        #expect(schedulers[0]?["name"] == "automatic")
        let karras = schedulers.arrayValue?.first { $0["label"] == "Karras" }
        #expect(karras?["default_rho"] == 7.0)
        #expect(karras?["aliases"] == .null)
        #expect(karras?["need_inner_model"] == false)
        #expect(options["sd_model_checkpoint"] == "v1-5-pruned-emaonly.safetensors [6ce0161689]")
        #expect(progress["progress"] == 0)
        #expect(progress["state"]?["job_count"] == 0)
    }

    @Test func unknownSamplersAndCheckpointsFallBackAsA1111Does() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (unknownSampler, combined, unknownModel, otherModel, after) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["sampler_name": "No Such Sampler", "scheduler": nil])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["sampler_name": "DPM++ 2M Karras", "scheduler": nil])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["override_settings": ["sd_model_checkpoint": "nope.safetensors"]])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["override_settings": ["sd_model_checkpoint": "sd_xl_base_1.0.safetensors [31e35c80fc]"]])),
                try json(client.request("GET", "/sdapi/v1/options"))
            )
        }
        // get_sampler_and_scheduler: an unknown name is the first sampler; a
        // scheduler named in the sampler's name is taken from it.
        let fallback = try A1111Answer(unknownSampler)
        #expect(fallback.info["sampler_name"] == "DPM++ 2M")
        #expect(A1111InfotextParser.parse(fallback.infotexts[0])["Schedule type"] == "Automatic")
        let split = try A1111Answer(combined)
        #expect(split.info["sampler_name"] == "DPM++ 2M")
        // process_images drops an override naming no checkpoint and keeps the loaded one.
        #expect(try A1111Answer(unknownModel).info["sd_model_name"] == "v1-5-pruned-emaonly")
        let other = try A1111Answer(otherModel)
        #expect(other.info["sd_model_name"] == "sd_xl_base_1.0")
        #expect(A1111InfotextParser.parse(other.infotexts[0])["Model hash"] == "31e35c80fc")
        #expect(after["sd_model_checkpoint"] == "v1-5-pruned-emaonly.safetensors [6ce0161689]", "overrides are restored afterwards")
    }

    @Test func release18HasCombinedSamplerNamesAndRefusesUnknownOnes() async throws {
        let emulator = try startA1111(.init(release: .v1_8))
        defer { emulator.stop() }
        let (samplers, schedulers, unknown, alias, combined) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try json(client.request("GET", "/sdapi/v1/samplers")),
                try client.request("GET", "/sdapi/v1/schedulers"),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["sampler_name": "No Such Sampler"])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["sampler_name": "k_euler"])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["sampler_name": "DPM++ 2M Karras"]))
            )
        }
        #expect(samplers[0]?["name"] == "DPM++ 2M Karras")
        #expect(schedulers.status == 404)
        #expect(try json(schedulers) == ["detail": "Not Found"])
        #expect(unknown.status == 404)
        #expect(try json(unknown) == ["error": "HTTPException", "detail": "Sampler not found", "body": "", "errors": ""])
        #expect(alias.status == 404, "validate_sampler_name looks names up, not aliases")
        let answer = try A1111Answer(combined)
        #expect(answer.info["sampler_name"] == "DPM++ 2M Karras")
        #expect(answer.info["version"] == "v1.8.0")
        // No scheduler field (the body's is ignored), no Schedule type.
        #expect(answer.parameters["scheduler"] == nil)
        #expect(
            answer.infotexts[0]
                == "a lighthouse at dusk\nNegative prompt: fog\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7.0, Seed: 1234, Size: 96x64, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.8.0"
        )
        #expect(emulator.statistics["other"]?[404] == 1)
    }

    @Test func optionsSwitchTheCheckpointOrRefuseAnUnknownOne() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (refused, accepted, options, generated) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/options", body: #"{"sd_model_checkpoint": "nope"}"#),
                try client.request("POST", "/sdapi/v1/options", body: #"{"sd_model_checkpoint": "sd_xl_base_1.0"}"#),
                try json(client.request("GET", "/sdapi/v1/options")),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody())
            )
        }
        #expect(refused.status == 500)
        #expect(try json(refused) == ["error": "RuntimeError", "detail": "", "body": "", "errors": "model 'nope' not found"])
        #expect(accepted.status == 200)
        #expect(try json(accepted) == .null)
        #expect(options["sd_model_checkpoint"] == "sd_xl_base_1.0")
        #expect(try A1111Answer(generated).info["sd_model_name"] == "sd_xl_base_1.0")
    }

    @Test func wrongTypesAreFastAPIs422AndLooseOnesAreCoerced() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (wrong, notObject, empty, coerced, form, nulls) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["steps": "many", "cfg_scale": [], "styles": ["a", ["b"]]])),
                try client.request("POST", "/sdapi/v1/txt2img", body: "[1]"),
                try client.request("POST", "/sdapi/v1/txt2img", body: ""),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["steps": "12", "width": 64.9, "prompt": 5, "no_such_field": true])),
                // curl -d's type: FastAPI does not parse the body as JSON.
                try rawRequest(client, "POST", "/sdapi/v1/txt2img", body: txt2imgBody(), contentType: "application/x-www-form-urlencoded"),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["steps": nil, "cfg_scale": nil]))
            )
        }
        #expect(wrong.status == 422)
        // Pydantic reports in the model's field order.
        #expect(try details(wrong) == ["body.styles.1:type_error.str", "body.steps:type_error.integer", "body.cfg_scale:type_error.float"])
        #expect(try json(wrong)["detail"]?[1]?["msg"] == "value is not a valid integer")
        #expect(try details(notObject) == ["body:type_error.dict"])
        #expect(try details(empty) == ["body:value_error.missing"])
        let answer = try A1111Answer(coerced)
        #expect(answer.info["steps"] == 12)
        #expect(answer.info["width"] == 64)
        #expect(answer.info["prompt"] == "5")
        #expect(answer.parameters["no_such_field"] == nil, "unknown fields are ignored")
        #expect(try details(form) == ["body:type_error.dict"])
        // A null is echoed as sent and generates with the default.
        let defaulted = try A1111Answer(nulls)
        #expect(defaulted.parameters["steps"] == .null)
        #expect(defaulted.info["steps"] == 50)
        #expect(defaulted.info["cfg_scale"]?.numberValue?.text == "7.0")
        #expect(emulator.statistics["POST /sdapi/v1/txt2img"]?[422] == 4)
    }

    @Test func takesBodiesPastTheHTTPServersDefaultLimit() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        // 17 MiB of an unknown field, which the model ignores: past the 16 MiB default.
        let body = txt2imgBody(["padding": .string(String(repeating: "a", count: 17 << 20)), "width": 32, "height": 32])
        let response = try await offPool { try RawHTTPClient(port: emulator.port).request("POST", "/sdapi/v1/txt2img", body: body) }
        #expect(response.status == 200)
    }

    @Test func basicAuthGuardsEveryRouteWithA1111sErrors() async throws {
        let emulator = try startA1111(.init(credentials: ["ann": "s3cret"]))
        defer { emulator.stop() }
        let (missing, wrong, garbled, right, unknown) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try rawRequest(client, "GET", "/sdapi/v1/samplers"),
                try rawRequest(client, "GET", "/sdapi/v1/samplers", headers: ["Authorization: Basic YW5uOndyb25n"]),
                try rawRequest(client, "POST", "/sdapi/v1/txt2img", headers: ["Authorization: Basic !!!"], body: txt2imgBody()),
                try rawRequest(client, "GET", "/sdapi/v1/samplers", headers: ["Authorization: Basic YW5uOnMzY3JldA=="]),
                try rawRequest(client, "GET", "/sdapi/v1/nothing")
            )
        }
        for (response, detail) in [(missing, "Not authenticated"), (wrong, "Incorrect username or password"), (garbled, "Invalid authentication credentials")] {
            #expect(response.status == 401)
            #expect(try json(response) == ["error": "HTTPException", "detail": .string(detail), "body": "", "errors": ""])
            // A1111's exception handler drops the exception's WWW-Authenticate.
            #expect(response.header("www-authenticate") == nil)
        }
        #expect(right.status == 200)
        #expect(unknown.status == 404)
        #expect(try json(unknown) == ["detail": "Not Found"])
        #expect(emulator.statistics["GET /sdapi/v1/samplers"]?[401] == 2)
    }

    @Test func img2imgReadsBase64AndDataURLInitImages() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let red = Base64Text.encode(try PNGCodec.encode(RGBAImage(width: 32, height: 32, fill: (255, 0, 0, 255))))
        let blue = Base64Text.encode(try PNGCodec.encode(RGBAImage(width: 32, height: 32, fill: (0, 0, 255, 255))))
        @Sendable func body(_ image: JSON?, _ extra: JSONObject = [:]) -> String {
            var body: JSONObject = ["prompt": "a red square", "seed": 7, "steps": 10, "width": 64, "height": 48, "denoising_strength": 0.5]
            if let image { body["init_images"] = [image] }
            for (key, value) in extra { body[key] = value }
            return JSON.object(body).description
        }
        let jpeg = Base64Text.encode([0xFF, 0xD8, 0xFF, 0xE0] + Array("a jpeg".utf8))
        let (plain, dataURL, other, missing, invalid, notString, jpegAnswer) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/img2img", body: body(.string(red))),
                try client.request("POST", "/sdapi/v1/img2img", body: body(.string("data:image/png;base64," + red))),
                try client.request("POST", "/sdapi/v1/img2img", body: body(.string(blue))),
                try client.request("POST", "/sdapi/v1/img2img", body: body(nil)),
                try client.request("POST", "/sdapi/v1/img2img", body: body("bm90IGFuIGltYWdl")),
                try client.request("POST", "/sdapi/v1/img2img", body: body(5)),
                try client.request("POST", "/sdapi/v1/img2img", body: body(.string(jpeg)))
            )
        }
        let answer = try A1111Answer(plain)
        #expect(answer.images.count == 1)
        #expect(answer.images[0].image.width == 64 && answer.images[0].image.height == 48)
        #expect(answer.images[0].parameters == answer.infotexts[0])
        #expect(A1111InfotextParser.parse(answer.infotexts[0])["Denoising strength"] == "0.5")
        #expect(answer.info["extra_generation_params"] == ["Denoising strength": 0.5])
        #expect(answer.parameters["init_images"] == .null, "the echo leaves the images out")
        #expect(try A1111Answer(dataURL).images[0].image == answer.images[0].image)
        #expect(try A1111Answer(other).images[0].image != answer.images[0].image, "the init image changes the picture")
        #expect(missing.status == 404)
        #expect(try json(missing) == ["error": "HTTPException", "detail": "Init image not found", "body": "", "errors": ""])
        #expect(invalid.status == 500)
        #expect(try json(invalid)["detail"] == "Invalid encoded image")
        #expect(try json(notString) == ["error": "AttributeError", "detail": "", "body": "", "errors": "'int' object has no attribute 'startswith'"])
        #expect(jpegAnswer.status == 200, "other formats are taken by their signature")
    }

    @Test func savingAddsTheGridAndSendImagesFalseSendsNone() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (saved, unsent) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["batch_size": 3, "save_images": true])),
                try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["send_images": false]))
            )
        }
        let grid = try A1111Answer(saved)
        #expect(grid.images.count == 4)
        #expect(grid.info["index_of_first_image"] == 1)
        #expect(grid.infotexts.count == 4)
        // round(sqrt(3)) = 2 rows of 2 columns.
        #expect(grid.images[0].image.width == 192 && grid.images[0].image.height == 128)
        #expect(grid.images.map(\.parameters) == grid.infotexts)
        #expect(A1111InfotextParser.parse(grid.infotexts[0])["Seed"] == "1234")
        #expect(A1111InfotextParser.parse(grid.infotexts[3])["Seed"] == "1236")
        let none = try A1111Answer(unsent)
        #expect(none.images.isEmpty)
        #expect(none.infotexts.count == 1)
    }

    @Test func generationsRunOneAtATime() async throws {
        // The first generation holds the queue for 100 steps of 10 ms; the
        // second is sent once /progress shows the first running.
        let emulator = try startA1111(.init(stepDuration: .milliseconds(10)))
        defer { emulator.stop() }
        async let first = offPool {
            try RawHTTPClient(port: emulator.port).request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["steps": 100, "width": 32, "height": 32]))
        }
        let second = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            try waitUntilRunning(client)
            return try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["steps": 1, "width": 32, "height": 32]))
        }
        let firstAnswer = try await first
        #expect(firstAnswer.status == 200 && second.status == 200)
        #expect(emulator.concurrency.peakWaiting == 1, "the second request waited for the first")
        #expect(emulator.concurrency.peakRunning == 1, "never two generations at once")
        let stats = try await offPool { try json(RawHTTPClient(port: emulator.port).request("GET", "/_emulator/stats")) }
        #expect(stats["requests"]?["POST /sdapi/v1/txt2img"]?["200"] == 2)
        #expect(stats["generations"]?["peak_running"] == 1)
        #expect(stats["generations"]?["completed"] == 2)
    }

    @Test func progressReportsTheRunningGeneration() async throws {
        let emulator = try startA1111(.init(stepDuration: .milliseconds(10)))
        defer { emulator.stop() }
        async let generation = offPool {
            try RawHTTPClient(port: emulator.port).request("POST", "/sdapi/v1/txt2img", body: txt2imgBody(["steps": 100, "width": 32, "height": 32]))
        }
        let running = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            try waitUntilRunning(client)
            return try json(client.request("GET", "/sdapi/v1/progress"))
        }
        #expect(running["state"]?["job"] == "scripts_txt2img")
        #expect(running["state"]?["sampling_steps"] == 100)
        #expect((running["progress"]?.doubleValue ?? 0) > 0)
        #expect(try await generation.status == 200)
    }

    @Test func faultsApplyToGenerations() async throws {
        let emulator = try startA1111()
        defer { emulator.stop() }
        let (errorStatus, errorBody, corrupt) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            _ = try client.request("POST", "/_emulator/faults", body: #"{"server_error_rate": 1}"#)
            let error = try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody())
            _ = try client.request("POST", "/_emulator/faults", body: #"{"server_error_rate": 0, "corrupt_download_rate": 1}"#)
            return (error.status, error.body, try client.request("POST", "/sdapi/v1/txt2img", body: txt2imgBody()))
        }
        #expect([500, 502, 503].contains(errorStatus))
        if errorStatus == 500 {
            #expect(try JSONParser.parse(errorBody)["error"] == "OutOfMemoryError")
        }
        #expect(corrupt.status == 200)
        let text = try #require(try json(corrupt)["images"]?[0]?.stringValue)
        #expect(throws: ImagingError.self) { try PNGCodec.decode(try decodeBase64(text)) }
        #expect(emulator.statistics["POST /sdapi/v1/txt2img"]?[errorStatus] == 1)
    }
}

/// Polls /progress until a generation runs (the emulator offers no event
/// for it), for at most two seconds.
func waitUntilRunning(_ client: RawHTTPClient) throws {
    for _ in 0..<400 {
        if try json(client.request("GET", "/sdapi/v1/progress"))["state"]?["job_count"] == 1 { return }
        pauseBriefly()
    }
    throw TestFailure("no generation showed in /sdapi/v1/progress")
}

/// Base64 for the tests' init images (TestSupport only decodes).
enum Base64Text {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var text = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = Array(bytes[start..<min(start + 3, bytes.count)]) + [0, 0]
            let word = Int(chunk[0]) << 16 | Int(chunk[1]) << 8 | Int(chunk[2])
            let count = min(3, bytes.count - start)
            for index in 0..<4 {
                text.append(index <= count ? alphabet[word >> (18 - 6 * index) & 63] : "=")
            }
        }
        return text
    }
}
