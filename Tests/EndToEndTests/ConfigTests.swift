import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The configuration file: read by the daemon at start and on reload, and
/// changed by vcctl config.
@Suite struct ConfigTests {
    /// A folder with a config.toml where the daemon and vcctl both look.
    func folder(config: String) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(config.utf8))
        return folder
    }

    func configText(_ folder: TemporaryDirectory) throws -> String {
        String(decoding: try FileSystem.readFile(folder.file("config/visioncraft/config.toml")), as: UTF8.self)
    }

    /// vcctl with the daemon's environment (the same config.toml).
    func vcctl(_ folder: TemporaryDirectory, _ socket: String?, _ arguments: [String]) async throws -> ProcessOutput {
        let executable = try BuiltProducts.path("vcctl")
        let prefix = socket.map { ["--socket", $0, "--no-start"] } ?? []
        return try await offPool {
            try runProcess(executable, prefix + arguments, environment: isolatedEnvironment(in: folder, extra: ["PATH": "/usr/bin:/bin"]))
        }
    }

    func params(_ folder: TemporaryDirectory, _ socket: String, job id: String) async throws -> JSON? {
        try JSONParser.parse(try await vcctl(folder, socket, ["--json", "get", id]).standardOutput)["params"]
    }

    @Test func theDaemonTakesItsUpstreamAndJobDefaultsFromTheFile() async throws {
        let home = try folder(config: """
            # the emulator, as a fresh machine would use it
            [upstream]
            url = "emulator"
            [queue]
            requests_per_minute = 0
            [jobs]
            sampler = "DPM2"
            steps = 12
            image_count = 2
            """)
        let daemon = try await offPool { try DaemonProcess.start(folder: home) }
        defer { daemon.cleanUp() }
        let submitted = try await vcctl(home, daemon.socketPath, ["submit", "a lighthouse", "--wait"])
        #expect(submitted.status == 0, "\(submitted.standardError)")
        #expect(submitted.standardOutput.split(separator: "\n").count == 2, "jobs.image_count when -n is not given")
        let id = try #require(JSONParser.parse(try await vcctl(home, daemon.socketPath, ["--json", "list"]).standardOutput).arrayValue?.first?["id"]?.stringValue)
        let first = try await params(home, daemon.socketPath, job: id)
        #expect(first?["sampler"]?.stringValue == "DPM2")
        #expect(first?["steps"]?.intValue == 12)

        // vcctl config set writes the file and has the running daemon reload it.
        let set = try await vcctl(home, daemon.socketPath, ["config", "set", "jobs.sampler", "Heun"])
        #expect(set.status == 0, "\(set.standardError)")
        #expect(try configText(home).contains("sampler = \"Heun\""))
        #expect(try configText(home).hasPrefix("# the emulator, as a fresh machine would use it\n"), "comments are kept")
        let next = try await vcctl(home, daemon.socketPath, ["submit", "a harbour", "-n", "1"])
        let nextID = next.standardOutput.split(separator: "\n").first.map(String.init) ?? ""
        #expect(try await params(home, daemon.socketPath, job: nextID)?["sampler"]?.stringValue == "Heun", "new jobs get the reloaded default")

        let restart = try await vcctl(home, daemon.socketPath, ["config", "set", "queue.max_in_flight", "3"])
        #expect(restart.status == 0)
        #expect(restart.standardError.contains("queue.max_in_flight after a restart"))
    }

    @Test func aBadReloadKeepsTheConfigurationInUse() async throws {
        let home = try folder(config: "[upstream]\nurl = \"emulator\"\n[jobs]\nsteps = 7\n")
        let daemon = try await offPool { try DaemonProcess.start(folder: home) }
        defer { daemon.cleanUp() }
        try FileSystem.writeFileAtomically(home.file("config/visioncraft/config.toml"), Array("[jobs]\nsteps = 7\nsampler = Euler\n".utf8))
        let reload = try await vcctl(home, daemon.socketPath, ["daemon", "reload"])
        #expect(reload.status == 78)
        #expect(reload.standardError.contains("config.toml:3: jobs.sampler: 'Euler' is not a value (strings go in double quotes)"))
        #expect(reload.standardError.contains("unchanged"))

        kill(daemon.child.pid, SIGHUP)
        try await offPool { try waitForLog(daemon, containing: "SIGHUP: kept the configuration in use") }
        let status = try await vcctl(home, daemon.socketPath, ["status"])
        #expect(status.status == 0, "SIGHUP with a bad file leaves the daemon running")
        let submitted = try await vcctl(home, daemon.socketPath, ["submit", "a dune", "-n", "1", "--wait"])
        #expect(submitted.status == 0, "still on the embedded emulator the old file named: \(submitted.standardError)")

        try FileSystem.writeFileAtomically(home.file("config/visioncraft/config.toml"), Array("[upstream]\nurl = \"emulator\"\n[jobs]\nsteps = 9\n".utf8))
        let fixed = try await vcctl(home, daemon.socketPath, ["--json", "daemon", "reload"])
        #expect(fixed.status == 0)
        let report = try JSONParser.parse(fixed.standardOutput)
        #expect(report["changed"]?.arrayValue?.compactMap(\.stringValue) == ["jobs.steps"])
        #expect(report["restart_needed"]?.arrayValue?.isEmpty == true)
    }

    @Test func aBadFileStopsTheStartWithTheLineAndTheKey() async throws {
        let home = try folder(config: "[queue]\nmax_in_flight = 99\n")
        defer { home.remove() }
        let output = try await offPool {
            try runProcess(try BuiltProducts.path("visioncraftd"), ["--socket", home.file("d.sock")], environment: isolatedEnvironment(in: home), timeout: TestTime.scaled(.seconds(20)))
        }
        #expect(output.status == 78)
        #expect(output.standardError.contains("config.toml:2: queue.max_in_flight: expected a whole number from 1 to 16, got 99"))
        let ignored = try await offPool {
            try DaemonProcess.start(arguments: ["--config", "/dev/null"], folder: home)
        }
        #expect(ignored.log().contains("listening"), "--config /dev/null starts without the file")
        ignored.cleanUp()
    }

    /// A backend's keys by their dotted name: read, written in its section
    /// (a model checked against that backend's list), refused out of range
    /// or for a section the file does not have.
    @Test func vcctlConfigReadsAndWritesABackendsKeys() async throws {
        let home = try folder(config: "[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\nmodel = \"dreamshaper_8.safetensors\"\n")
        defer { home.remove() }
        let get = try await vcctl(home, nil, ["config", "get", "backends.comfy.model"])
        #expect(get.status == 0 && get.standardOutput == "\"dreamshaper_8.safetensors\"\n", "\(get.standardOutput)\(get.standardError)")
        let range = try await vcctl(home, nil, ["config", "set", "backends.comfy.steps", "300"])
        #expect(range.status == 64 && range.standardError.contains("backends.comfy.steps: expected a whole number from 1 to 150, got 300"), "\(range.standardError)")
        let noSection = try await vcctl(home, nil, ["config", "set", "backends.forge.model", "x"])
        #expect(noSection.status == 64 && noSection.standardError.contains("has no [backends.forge] section"), "\(noSection.standardError)")
        let keys = try await vcctl(home, nil, ["config", "keys"])
        #expect(keys.standardOutput.contains("backends.NAME.workflow") && keys.standardOutput.contains("backends.NAME.model"))

        let daemon = try await offPool { try DaemonProcess.start(folder: home) }
        defer { daemon.cleanUp() }
        let set = try await vcctl(home, daemon.socketPath, ["config", "set", "backends.comfy.model", "V1-5-PRUNED-EMAONLY.safetensors"])
        #expect(set.status == 0 && !set.standardError.contains("restart"), "a reload applies it: \(set.standardError)")
        let written = try configText(home)
        #expect(written.contains("model = \"v1-5-pruned-emaonly.safetensors\""), "as the backend's list spells it: \(written)")
        let unknown = try await vcctl(home, daemon.socketPath, ["config", "set", "backends.comfy.model", "nope.safetensors"])
        #expect(unknown.status == 64 && unknown.standardError.contains("(vcctl models --backend comfy lists them)"), "\(unknown.standardError)")
    }

    @Test func vcctlConfigReadsAndRefusesWithClearMessages() async throws {
        let home = try folder(config: "[jobs]\nmodel = \"flux\"\n")
        defer { home.remove() }
        let path = try await vcctl(home, nil, ["config", "path"])
        let file = home.file("config/visioncraft/config.toml")
        #expect(path.standardOutput == file + "\n")
        let get = try await vcctl(home, nil, ["config", "get", "jobs.model"])
        #expect(get.standardOutput == "\"flux\"\n")
        let unset = try await vcctl(home, nil, ["config", "get", "jobs.steps"])
        #expect(unset.standardOutput == "" && unset.standardError.contains("not set in \(file) (default: 30"))
        let json = try JSONParser.parse(try await vcctl(home, nil, ["--json", "config", "get"]).standardOutput)
        #expect(json["jobs.model"] == ["value": "flux", "source": "file", "line": 2, "default": "the backend's (VisionCraft: anything_V5)"])
        #expect(json["jobs.steps"]?["value"] == .null && json["jobs.steps"]?["source"] == "default")
        let all = try await vcctl(home, nil, ["config", "get"])
        #expect(all.standardOutput.hasPrefix("# \(file)\n"), "\(all.standardOutput)")
        #expect(all.standardOutput.contains("jobs.model = \"flux\"  # line 2\n"), "\(all.standardOutput)")
        #expect(all.standardOutput.contains("# jobs.sampler is not set (default: the backend's (VisionCraft: Euler))\n"), "\(all.standardOutput)")

        // A key the file leaves unset is not its default on stdout, nor a
        // value with --json, even for keys whose default is a value
        // (jobs.sampler, queue.max_in_flight).
        for name in ["jobs.sampler", "queue.max_in_flight", "upstream.tls_verify"] {
            let text = try await vcctl(home, nil, ["config", "get", name])
            #expect(text.status == 0 && text.standardOutput.isEmpty, "\(name): \(text.standardOutput)")
            #expect(text.standardError.contains("\(name) is not set in"), "\(name): \(text.standardError)")
            let one = try JSONParser.parse(try await vcctl(home, nil, ["--json", "config", "get", name]).standardOutput)
            #expect(one[name]?["value"] == .null && one[name]?["source"] == "default", "\(name): \(one)")
        }
        let typo = try await vcctl(home, nil, ["config", "set", "jobs.modle", "x"])
        #expect(typo.status == 64)
        #expect(typo.standardError.contains("did you mean jobs.model?"))
        let range = try await vcctl(home, nil, ["config", "set", "jobs.steps", "99"])
        #expect(range.status == 64)
        #expect(range.standardError.contains("jobs.steps: expected a whole number from 1 to 30, got 99"))
        #expect(try configText(home) == "[jobs]\nmodel = \"flux\"\n", "a refused value changes nothing")
        let keys = try await vcctl(home, nil, ["config", "keys"])
        #expect(keys.standardOutput.split(separator: "\n").count == 22 + 13, "the 22 settings, then the 13 keys of a backend's section")

        try FileSystem.writeFileAtomically(home.file("config/visioncraft/config.toml"), Array("[jobs]\nmodel = flux\n".utf8))
        let broken = try await vcctl(home, nil, ["submit", "x", "--no-start"])
        #expect(broken.status == 78, "submit reads jobs.image_count, so a broken file is a config error")
        #expect(broken.standardError.contains("config.toml:2: jobs.model"))
    }
}
