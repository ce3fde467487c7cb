import Imaging
import JSON
import Posix
import Testing
import TestSupport
import VisionCraftEmulator

/// An emulator on a free loopback port, stopped by `stop()`.
func startEmulator(_ configuration: VisionCraftEmulator.Configuration = .init()) throws -> VisionCraftEmulator {
    let emulator = try VisionCraftEmulator(configuration: configuration)
    try emulator.start()
    return emulator
}

/// A valid /generate body with overrides.
func generateBody(_ overrides: JSONObject = [:], removing: [String] = []) -> String {
    var body: JSONObject = [
        "model": "anything_V5", "sampler": "Euler", "prompt": "a lighthouse at dusk", "negative_prompt": "fog",
        "image_count": 2, "token": "t0k3n", "cfg_scale": 8, "steps": 30,
    ]
    for (key, value) in overrides { body[key] = value }
    for key in removing { body[key] = nil }
    return JSON.object(body).description
}

func json(_ response: ReceivedResponse) throws -> JSON {
    try JSONParser.parse(response.body)
}

/// The (loc, type) pairs of a 422 body.
func details(_ response: ReceivedResponse) throws -> [String] {
    try json(response)["detail"]?.arrayValue?.map { item in
        let loc = item["loc"]?.arrayValue?.compactMap { $0.stringValue ?? $0.numberValue?.text }.joined(separator: ".") ?? "?"
        return "\(loc):\(item["type"]?.stringValue ?? "?")"
    } ?? []
}

@Suite struct EmulatorTests {
    @Test func listsTheFullCatalog() async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let (models, samplers) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (try client.request("GET", "/models"), try client.request("GET", "/samplers"))
        }
        #expect(models.status == 200)
        #expect(models.header("content-type") == "application/json")
        let modelNames = try json(models).arrayValue?.compactMap(\.stringValue) ?? []
        #expect(modelNames.count == 58)
        #expect(modelNames.prefix(8) == ["3guofeng3_v3.4", "absolutereality_v1.6", "absolutereality_v1.8.1", "amIReal_v4.1", "analog_diffusion_v1", "anything_v3.0", "anything_v4.5", "anything_V5"])
        #expect(try json(samplers).arrayValue?.count == 19)
        #expect(try json(samplers)[0] == "Euler")
    }

    @Test func generatesDownloadablePNGsDeterministically() async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let (first, second, other, downloads) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            let first = try client.request("POST", "/generate", body: generateBody())
            let second = try client.request("POST", "/generate", body: generateBody())
            let other = try client.request("POST", "/generate", body: generateBody(["prompt": "a red fox in snow", "image_count": 1]))
            let urls = (try json(first)["images"]?.arrayValue ?? []).compactMap(\.stringValue) + (try json(other)["images"]?.arrayValue ?? []).compactMap(\.stringValue)
            var downloads: [ReceivedResponse] = []
            for url in urls {
                guard url.hasPrefix(emulator.baseURL) else { throw TestFailure("\(url) is not served by the emulator") }
                downloads.append(try client.request("GET", String(url.dropFirst(emulator.baseURL.count))))
            }
            return (first, second, other, downloads)
        }
        #expect(first.status == 200)
        #expect(try json(first)["images"]?.arrayValue?.count == 2)
        #expect(first.body == second.body, "same parameters, same URLs")
        #expect(other.status == 200)
        #expect(downloads.count == 3)
        var pictures: [RGBAImage] = []
        for download in downloads {
            #expect(download.status == 200)
            #expect(download.header("content-type") == "image/png")
            pictures.append(try PNGCodec.decode(download.body).image)
        }
        #expect(pictures.allSatisfy { $0.width == 512 && $0.height == 512 })
        #expect(pictures[0] != pictures[1], "two images of one request differ")
        #expect(pictures[0] != pictures[2], "another prompt, another picture")
    }

    @Test(arguments: [
        (["image_count": 6] as JSONObject, "body.image_count:value_error.number.not_le"),
        (["image_count": 0], "body.image_count:value_error.number.not_ge"),
        (["image_count": 2.5], "body.image_count:type_error.integer"),
        (["cfg_scale": 21], "body.cfg_scale:value_error.number.not_le"),
        (["steps": 0], "body.steps:value_error.number.not_ge"),
        (["steps": 31], "body.steps:value_error.number.not_le"),
        (["prompt": ""], "body.prompt:value_error.any_str.min_length"),
        (["prompt": 5], "body.prompt:type_error.str"),
        (["model": "anything_V9"], "body.model:value_error.unknown_model"),
        (["sampler": "Euler z"], "body.sampler:value_error.unknown_sampler"),
    ] as [(JSONObject, String)])
    func everyRangeRuleAnswers422InFastAPIShape(overrides: JSONObject, expected: String) async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let response = try await offPool { try RawHTTPClient(port: emulator.port).request("POST", "/generate", body: generateBody(overrides)) }
        #expect(response.status == 422)
        #expect(try details(response) == [expected])
    }

    @Test func missingFieldsAreAllReported() async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let response = try await offPool {
            try RawHTTPClient(port: emulator.port).request("POST", "/generate", body: generateBody(removing: ["prompt", "token", "image_count"]))
        }
        #expect(response.status == 422)
        #expect(Set(try details(response)) == ["body.prompt:value_error.missing", "body.token:value_error.missing", "body.image_count:value_error.missing"])
    }

    @Test func malformedBodiesAre422() async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let (broken, array) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (try client.request("POST", "/generate", body: "{nope"), try client.request("POST", "/generate", body: "[1]"))
        }
        #expect(broken.status == 422)
        #expect(try details(broken).first?.hasSuffix("value_error.jsondecode") == true)
        #expect(array.status == 422)
        #expect(try details(array) == ["body:type_error.dict"])
    }

    @Test func unknownTokensAre403() async throws {
        let emulator = try startEmulator(.init(tokens: .only(["good-token"])))
        defer { emulator.stop() }
        let (bad, good) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("POST", "/generate", body: generateBody(["token": "stolen"])),
                try client.request("POST", "/generate", body: generateBody(["token": "good-token"]))
            )
        }
        #expect(bad.status == 403)
        #expect(try json(bad)["detail"]?.stringValue?.contains("invalid or banned") == true)
        #expect(good.status == 200)
    }

    @Test func imageToImageUsesTheRequestedSize() async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let (response, picture) = try await offPool { () -> (ReceivedResponse, RGBAImage) in
            let client = try RawHTTPClient(port: emulator.port)
            let body: JSON = ["prompt": "make it night", "token": "t", "init_images": ["https://example.com/a.png"], "width": 256, "height": 128]
            let response = try client.request("POST", "/img2img", body: body.description)
            guard let url = try json(response)["images"]?[0]?.stringValue else { throw TestFailure("no image: \(response)") }
            let download = try client.request("GET", String(url.dropFirst(emulator.baseURL.count)))
            return (response, try PNGCodec.decode(download.body).image)
        }
        #expect(response.status == 200)
        #expect(picture.width == 256 && picture.height == 128)
    }

    @Test(arguments: [
        (["prompt": "x", "token": "t", "init_images": ["https://e/a.png"], "width": 100] as JSON, "body.width:value_error.multiple_of"),
        (["prompt": "x", "token": "t", "init_images": ["https://e/a.png"], "height": 2048], "body.height:value_error.number.not_le"),
        (["prompt": "x", "token": "t", "init_images": ["https://e/a.png", "https://e/b.png"]], "body.init_images:value_error.list.size"),
        (["prompt": "x", "token": "t", "init_images": ["ftp://e/a.png"]], "body.init_images.0:value_error.url"),
        (["prompt": "x", "token": "t", "init_images": "https://e/a.png"], "body.init_images:type_error.list"),
        (["prompt": "x", "token": "t", "init_images": ["data:image/png;base64,AAAA"], "steps": 51], "body.steps:value_error.number.not_le"),
    ] as [(JSON, String)])
    func imageToImageRules(body: JSON, expected: String) async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let response = try await offPool { try RawHTTPClient(port: emulator.port).request("POST", "/img2img", body: body.description) }
        #expect(response.status == 422)
        #expect(try details(response) == [expected])
    }

    /// A picture is a function of its URL alone, pixel for pixel, across
    /// versions: a change to the drawing code shows here.
    @Test(arguments: [
        ("0123456789abcdef-0-512x512", 0x0EA1_461A_98BD_2EDB as UInt64),
        ("fedcba9876543210-3-640x384", 0x2AA5_C94D_A2E0_7AB3),
        ("2222222222222223-4-333x77", 0xE8EF_475D_858D_7418),
    ])
    func picturesAreTheSameForTheSameURL(_ name: String, _ expected: UInt64) async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let (status, hash) = try await offPool { () -> (Int, UInt64) in
            let download = try RawHTTPClient(port: emulator.port).request("GET", "/images/\(name).png")
            let picture = try PNGCodec.decode(download.body).image
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a, off the pool: a million bytes in a debug build
            for byte in picture.pixels { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            return (download.status, hash)
        }
        #expect(status == 200)
        #expect(hash == expected, "\(name): 0x\(String(hash, radix: 16))")
    }

    @Test func unknownPathsAndMethodsAndImages() async throws {
        let emulator = try startEmulator()
        defer { emulator.stop() }
        let (missing, method, badImage) = try await offPool {
            let client = try RawHTTPClient(port: emulator.port)
            return (
                try client.request("GET", "/nothing"),
                try client.request("GET", "/generate"),
                try client.request("GET", "/images/zzzz-0-512x512.png")
            )
        }
        #expect(missing.status == 404)
        #expect(try json(missing)["detail"] == "Not Found")
        #expect(method.status == 405)
        #expect(badImage.status == 404)
        #expect(emulator.statistics["/generate"]?[405] == 1)
        #expect(emulator.statistics["other"]?[404] == 1)
    }
}

@Suite struct EmulatorManualTests {
    @Test func everyOptionIsInTheManual() throws {
        let page = try ManualPage("visioncraft-emulator.1")
        for option in EmulatorCommand.configuration.options where !option.hidden {
            #expect(page.longOptions.contains(option.long), "man/visioncraft-emulator.1 lacks --\(option.long)")
        }
    }
}
