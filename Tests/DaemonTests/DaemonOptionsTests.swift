@testable import CommandLineKit
import Configuration
@testable import Daemon
import Testing

/// How the configuration file and the command line combine.
@Suite struct DaemonOptionsTests {
    func settings(_ text: String) throws -> Settings {
        try Settings(file: try ConfigFile(parsing: text))
    }

    func parsed(_ arguments: [String]) throws -> DaemonOptions {
        var parser = ArgumentParser(root: VisionCraftDaemonCommand.self)
        let parsed = try parser.parse(arguments)
        return try VisionCraftDaemonCommand(parsed).options
    }

    @Test func theFileSetsWhatNoFlagGives() throws {
        let file = try settings("""
            [upstream]
            url = "emulator"
            tls_verify = false
            request_timeout = 5
            [queue]
            max_in_flight = 4
            requests_per_minute = 0
            [jobs]
            output_dir = "/srv/images"
            [plugins]
            timeout = 1.5
            """)
        let options = try parsed(["--max-in-flight", "3", "--output-dir", "/tmp/out"]).layered(over: file)
        #expect(options.settings.maxInFlight == 3, "a flag wins over the file")
        #expect(options.outputDirectory == "/tmp/out")
        #expect(options.settings.requestsPerMinute == 0)
        #expect(options.settings.tlsVerify == false)
        #expect(options.upstreamTimeouts.total == .seconds(5))
        #expect(options.schedulerConfiguration(outputDirectory: "/x").pluginTimeout == .milliseconds(1500))
        #expect(options.configuredUpstream == "emulator")
        #expect(try parsed(["--emulator"]).layered(over: file).configuredUpstream == nil, "--emulator wins over upstream.url")
    }

    @Test func layeringAgainGivesWhatStartingWithTheNewFileWould() throws {
        let base = try parsed(["--plugin-dir", "/opt/plugins"])
        let first = base.layered(over: try settings("[queue]\nmax_in_flight = 4\n[plugins]\nfolders = [\"/a\"]"))
        let second = first.layered(over: try settings("[jobs]\nmodel = \"flux\""))
        #expect(second == base.layered(over: try settings("[jobs]\nmodel = \"flux\"")))
        #expect(second.settings.maxInFlight == 2, "a key removed from the file returns to its default")
        #expect(second.pluginFolders == ["/opt/plugins"], "the file's folders are not merged into the flags'")
    }

    @Test func aReloadSaysWhichChangesNeedARestart() throws {
        let old = try parsed(["--max-attempts", "3"]).layered(over: try settings("[jobs]\nmodel = \"a\""))
        let new = old.layered(over: try settings("[jobs]\nmodel = \"b\"\nsteps = 20\n[queue]\nmax_in_flight = 4\nmax_attempts = 9"))
        #expect(old.changedKeys(comparedWith: new) == ["queue.max_in_flight", "jobs.model", "jobs.steps"], "max_attempts is the flag's")
        #expect(old.keysNeedingRestart(comparedWith: new) == ["queue.max_in_flight"])
        let defaults = new.jobDefaults(outputDirectory: "/x")
        #expect(defaults.model == "b")
        #expect(defaults.steps == 20)
        #expect(defaults.outputDirectory == "/x")
    }

    @Test func theConfigFlagTakesAnAbsolutePath() throws {
        #expect(try parsed(["--config", "/etc/vc.toml"]).configPath == "/etc/vc.toml")
        #expect(throws: UsageError.self) { try parsed(["--config", "vc.toml"]) }
    }
}
