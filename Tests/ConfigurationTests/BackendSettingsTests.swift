@testable import Configuration
import Testing

/// `[backends.NAME]` sections and `default_backend`.
@Suite struct BackendSettingsTests {
    static func settings(_ text: String) throws(ConfigError) -> Settings {
        try Settings(file: try ConfigFile(parsing: text))
    }

    @Test func backendsAreReadInFileOrderWithTheirDefault() throws {
        let settings = try Self.settings("""
            default_backend = "forge"
            [queue]
            max_in_flight = 3
            [backends.visioncraft]
            kind = "visioncraft"
            url = "emulator"
            [backends.forge]
            kind = "a1111"
            url = "http://gpu-box:7860"
            max_in_flight = 1
            requests_per_minute = 0
            daily_images = 50
            monthly_images = 1000
            max_attempts = 3
            retry_base = 5
            """)
        #expect(settings.backends == [
            BackendSettings(name: "visioncraft", kind: .visioncraft, url: "emulator", line: 5),
            BackendSettings(
                name: "forge", kind: .a1111, url: "http://gpu-box:7860", maxInFlight: 1, requestsPerMinute: 0, caps: ImageCaps(daily: 50, monthly: 1000),
                maxAttempts: 3, retryBase: 5, line: 8
            ),
        ])
        #expect(settings.defaultBackend == "forge")
        #expect(settings.maxInFlight == 3, "the other keys read as before")
        let comfy = try Self.settings("[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\nworkflow = \"/home/me/sdxl.json\"\n")
        #expect(comfy.backends.first?.workflow == "/home/me/sdxl.json" && comfy.backends.first?.workflowLine == 4)
        let defaults = try Self.settings("[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\nmodel = \"m.safetensors\"\nsampler = \"euler\"\nsteps = 120\ncfg_scale = 4\n")
        #expect(defaults.backends.first?.jobDefaults == BackendJobDefaults(model: "m.safetensors", sampler: "euler", steps: 120, cfgScale: 4))
    }

    @Test func withoutBackendsNothingChangesAndOneIsItsOwnDefault() throws {
        let none = try Self.settings("[jobs]\nmodel = \"m\"\n")
        #expect(none.backends.isEmpty && none.defaultBackend == nil)
        #expect(try Self.settings("default_backend = \"visioncraft\"\n").defaultBackend == nil, "the implicit one may be named")
        let one = try Self.settings("[backends.gpu]\nkind = \"a1111\"\nurl = \"https://gpu:7860\"\n")
        #expect(one.defaultBackend == "gpu")
    }

    @Test(arguments: [
        ("[backends.x]\nkind = \"comfy\"\nurl = \"http://h\"\n", 2, "backends.x.kind: unknown kind 'comfy' (kinds: visioncraft, a1111, comfyui, openai)"),
        ("[backends.x]\nkind = \"a1111\"\n", 2, "backends.x: says no url (url = \"http://host:port\")"),
        ("[backends.x]\nurl = \"http://h\"\n", 2, "backends.x: says no kind (kind = \"visioncraft\" or \"a1111\" or \"comfyui\" or \"openai\")"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"ftp://h\"\n", 3, "backends.x.url: expected an http:// or https:// URL or \"emulator\", got \"ftp://h\""),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\nport = 1\n", 4, "backends.x.port: unknown key (keys of [backends.x]: kind, url, max_in_flight, requests_per_minute, daily_images, monthly_images, max_attempts, retry_base, workflow, model, sampler, steps, cfg_scale)"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\nsteps = 151\n", 4, "backends.x.steps: expected a whole number from 1 to 150, got 151"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\ncfg_scale = 21\n", 4, "backends.x.cfg_scale: expected a number from 0 to 20, got 21"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\nmodel = \"\"\n", 4, "backends.x.model: expected a non-empty string in double quotes"),
        ("[backends.x]\nkind = \"comfyui\"\nurl = \"http://h\"\nworkflow = \"flows/a.json\"\n", 4, "backends.x.workflow: expected an absolute path, got \"flows/a.json\""),
        ("[backends.x]\nkind = \"a1111\"\nworkflow = \"/flows/a.json\"\nurl = \"http://h\"\n", 3, "backends.x.workflow: a backend of kind a1111 runs no workflow (workflow is for kind comfyui)"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\nmax_in_flight = 0\n", 4, "backends.x.max_in_flight: expected a whole number from 1 to 16, got 0"),
        ("[backends.x]\nkind = 3\nurl = \"http://h\"\n", 2, "backends.x.kind: expected a string in double quotes, got 3"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\nmax_attempts = 0\n", 4, "backends.x.max_attempts: expected a whole number from 1 to 100, got 0"),
        ("[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\nretry_base = \"x\"\n", 4, "backends.x.retry_base: expected a number from 0.01 to 600"),
        ("[backends.x.y]\nkind = \"a1111\"\nurl = \"http://h\"\n", 2, "backends.x.y: a backend's name is one word of at most 64 bytes"),
        ("default_backend = \"y\"\n[backends.x]\nkind = \"a1111\"\nurl = \"http://h\"\n", 1, "default_backend: no backend is named 'y' (configured: x)"),
        ("default_backend = \"forge\"\n", 1, "default_backend: no backend is named 'forge' (configured: visioncraft)"),
        ("[backends.a]\nkind = \"a1111\"\nurl = \"http://h\"\n[backends.b]\nkind = \"a1111\"\nurl = \"http://i\"\n", nil,
         "default_backend: several backends are configured (a, b): name the default one (default_backend = \"NAME\")"),
    ] as [(String, Int?, String)])
    func aWrongBackendIsRefusedNamingTheLine(text: String, line: Int?, message: String) {
        #expect {
            _ = try Self.settings(text)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && "\(error)".contains(message)
        }
    }
}
