@testable import Configuration
import Posix
import Testing
import TestSupport

@Suite struct ConfigFileTests {
    /// Found by the config fuzz target: a CRLF file was refused at line 1,
    /// and quoted values with a CR, a control character or a leading
    /// combining mark did not read back.
    @Test func crlfFilesAndEveryQuotedTextReadBack() throws {
        let lf = try ConfigFile(parsing: "[jobs]\nmodel = \"a\"\nsteps = 20\n")
        let crlf = try ConfigFile(parsing: "[jobs]\r\nmodel = \"a\"\r\nsteps = 20\r\n")
        #expect(crlf == lf)
        #expect(crlf.entry("jobs.steps")?.line == 3)
        for text in ["\u{301}", "a\r\nb", "tab\t", "\u{0}\u{1F}\u{7F}", "\"\\", "é # not a comment", "😀"] {
            let file = try ConfigFile(parsing: "model = \(ConfigFile.quote(text))")
            #expect(file.entries.first?.value == .string(text), "\(text.debugDescription)")
        }
        #expect(ConfigFile.quote("\u{1}\r") == #""\u0001\r""#)
        // Found by libFuzzer: a bracket after blanks indexed a trimmed slice from 0.
        #expect(throws: ConfigError(line: 1, "'' is not a section name (words of letters, digits, _ and -, joined by dots)")) { try ConfigFile(parsing: "            []") }
        #expect(try ConfigFile(parsing: "   [ jobs ]  \n steps = 3").entry("jobs.steps")?.value == .integer(3))
        #expect(try ConfigFile(parsing: #"k = "\u00e9\U0001F600\b\f""#).entries.first?.value == .string("é😀\u{08}\u{0C}"))
        #expect(throws: ConfigError(line: 1, key: "k", "\\u needs 4 hexadecimal digits of a Unicode scalar")) {
            try ConfigFile(parsing: #"k = "\u12""#)
        }
        #expect(throws: ConfigError(line: 1, key: "k", "\\U needs 8 hexadecimal digits of a Unicode scalar")) {
            try ConfigFile(parsing: #"k = "\UD800D800""#)
        }
    }

    @Test func readsTheTOMLSubset() throws {
        let file = try ConfigFile(parsing: """
            # visioncraft
            [upstream]
            url = "http://example.test:8000"   # a comment
            tls_verify = false

            [queue]
            max_in_flight = 4
            requests_per_minute = 1_000

            [jobs]
            cfg_scale = 7.5
            model = "a \\"quoted\\" # name"

            [plugins]
            chain = ["template", "upscale:scale=2"]
            """)
        #expect(file.entry("upstream.url")?.value == .string("http://example.test:8000"))
        #expect(file.entry("upstream.tls_verify")?.value == .boolean(false))
        #expect(file.entry("queue.requests_per_minute")?.value == .integer(1000))
        #expect(file.entry("jobs.cfg_scale")?.value == .number(7.5))
        #expect(file.entry("jobs.model")?.value == .string("a \"quoted\" # name"), "a # inside a string is not a comment")
        #expect(file.entry("plugins.chain")?.value == .strings(["template", "upscale:scale=2"]))
        #expect(file.entry("queue.max_in_flight")?.line == 7)
    }

    @Test(arguments: [
        ("x = 1\nx = 2", "config:2: x: is set twice"),
        ("[jobs\nmodel = \"a\"", "config:1: a section header is [name]"),
        ("just words", "config:1: expected key = value"),
        ("[jobs]\nmodel = anything", "config:2: jobs.model: 'anything' is not a value (strings go in double quotes)"),
        ("[jobs]\nmodel = \"open", "config:2: jobs.model: the string is not closed"),
        ("[plugins]\nchain = [\"a\" \"b\"]", "config:2: plugins.chain: expected , between array items"),
    ])
    func mistakesNameTheLineAndTheKey(text: String, message: String) {
        do {
            _ = try ConfigFile(parsing: text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }
}

@Suite struct SettingsTests {
    @Test func keysAreCheckedAndDefaultsFillTheRest() throws {
        let settings = try Settings(file: try ConfigFile(parsing: "[queue]\nmax_in_flight = 4\nretry_base = 0.5\n[jobs]\nsteps = 20\n[plugins]\nfolders = [\"/opt/plugins\"]"))
        #expect(settings.maxInFlight == 4)
        #expect(settings.retryBase == 0.5)
        #expect(Settings().retryBase == 2, "the default")
        #expect(settings.steps == 20)
        #expect(settings.pluginFolders == ["/opt/plugins"])
        #expect(settings.requestsPerMinute == 60, "a default")
        #expect(settings.value(of: "jobs.model") == "", "unset: the backend's default")
        #expect(Settings.key("jobs.model")?.defaultText == "the backend's (VisionCraft: anything_V5)")
    }

    @Test(arguments: [
        ("[queue]\nmax_in_flight = 40", "config:2: queue.max_in_flight: expected a whole number from 1 to 16, got 40"),
        ("[queue]\nmax_inflight = 4", "config:2: queue.max_inflight: unknown key (keys of [queue]: max_in_flight, requests_per_minute, max_attempts, retry_base)"),
        ("[nope]\nx = 1", "config:2: nope.x: unknown key (sections: upstream, queue, jobs, plugins, images)"),
        ("[jobs]\noutput_dir = \"Pictures\"", "config:2: jobs.output_dir: expected an absolute path, got \"Pictures\""),
        ("[upstream]\ntls_verify = \"no\"", "config:2: upstream.tls_verify: expected true or false, got \"no\""),
        ("[jobs]\ncfg_scale = 25", "config:2: jobs.cfg_scale: expected a number from 0 to 20, got 25"),
        ("[plugins]\nchain = [\"upscale:{oops\"]", "config:2: plugins.chain: 'upscale:{oops': the options after 'upscale:' are not a JSON object"),
    ])
    func wrongValuesAreExplained(text: String, message: String) {
        do {
            _ = try Settings(file: try ConfigFile(parsing: text))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func settingAKeyKeepsTheRestOfTheFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("conf/config.toml")
        try SettingsFile.set("queue.max_in_flight", to: "3", in: path)
        try FileSystem.writeFileAtomically(path, Array("# mine\n[queue]\nmax_in_flight = 3 # keep\n\n[jobs]\nmodel = \"a\"\n".utf8))
        try SettingsFile.set("queue.max_attempts", to: "5", in: path)
        try SettingsFile.set("jobs.model", to: "\"b\"", in: path)
        try SettingsFile.set("plugins.chain", to: "[\"upscale\"]", in: path)
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        #expect(text == "# mine\n[queue]\nmax_in_flight = 3 # keep\nmax_attempts = 5\n\n[jobs]\nmodel = \"b\"\n\n[plugins]\nchain = [\"upscale\"]\n")
        let settings = try SettingsFile.load(path)
        #expect(settings.maxAttempts == 5 && settings.model == "b" && settings.pluginChain == ["upscale"])
        #expect(throws: ConfigError.self, "checked before writing") { try SettingsFile.set("queue.max_attempts", to: "500", in: path) }
        #expect(throws: ConfigError.self) { try SettingsFile.set("queue.nope", to: "1", in: path) }
        #expect(try SettingsFile.load(path).maxAttempts == 5, "a refused change writes nothing")
        #expect(try SettingsFile.load(folder.file("missing.toml")) == Settings(), "no file: the defaults")
    }

    @Test func aBrokenFileNamesItsPath() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("config.toml"), Array("[queue]\nmax_attempts = 0\n".utf8))
        #expect(throws: ConfigError.self) { _ = try SettingsFile.load(folder.file("config.toml")) }
        do {
            _ = try SettingsFile.load(folder.file("config.toml"))
        } catch {
            #expect(error.description.hasPrefix("\(folder.file("config.toml")):2: queue.max_attempts:"))
        }
    }
}

@Suite struct ConfigurationManualTests {
    /// The page's entry for each key: from `.It Li name` (in `.Ss [section]`) to the next `.It` or section.
    func entries() throws -> [String: String] {
        try ManualPage("visioncraft.conf.5").entries { item, subsection in
            guard item.hasPrefix(".It Li "), subsection.hasPrefix("["), subsection.hasSuffix("]") else { return nil }
            return "\(subsection.dropFirst().dropLast()).\(item.dropFirst(7).prefix { $0 != " " })"
        }
    }

    @Test func theManualDocumentsEveryKeyWithItsDefault() throws {
        let entries = try entries()
        #expect(Set(entries.keys) == Set(Settings.keys.map(\.name)), "man/visioncraft.conf.5 and Settings.keys differ")
        for key in Settings.keys {
            let entry = entries[key.name] ?? ""
            let plain = key.defaultText.allSatisfy { $0.isNumber } || key.defaultText == "true" || key.defaultText == "[]"
            if plain {
                #expect(entry.contains("Default: \(key.defaultText)."), "\(key.name): the manual does not give the default \(key.defaultText)")
            } else {
                #expect(entry.contains("Default"), "\(key.name): the manual gives no default")
            }
        }
    }
}
