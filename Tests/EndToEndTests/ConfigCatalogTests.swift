import JSON
import Posix
import Testing
import TestSupport

/// `vcctl config set jobs.model|jobs.sampler NAME` checks the name as
/// `job.submit` does when a daemon answers, and says so when none does.
@Suite struct ConfigCatalogTests {
    let config = ConfigTests()

    @Test func aDaemonsListsCheckTheNameAndGiveItsSpelling() async throws {
        let home = try config.folder(config: "[upstream]\nurl = \"emulator\"\n[queue]\nrequests_per_minute = 0\n")
        let daemon = try await offPool { try DaemonProcess.start(folder: home) }
        defer { daemon.cleanUp() }
        let model = try await config.vcctl(home, daemon.socketPath, ["config", "set", "jobs.model", "ANYTHING_v5"])
        #expect(model.status == 0, "\(model.standardError)")
        let sampler = try await config.vcctl(home, daemon.socketPath, ["config", "set", "jobs.sampler", "\"euler A\""])
        #expect(sampler.status == 0, "\(sampler.standardError)")
        let written = try config.configText(home)
        #expect(written.contains("model = \"anything_V5\"\n") && written.contains("sampler = \"Euler a\"\n"), "\(written)")

        let typo = try await config.vcctl(home, daemon.socketPath, ["config", "set", "jobs.model", "anythng_V5"])
        #expect(typo.status == 64, "\(typo.standardError)")
        #expect(typo.standardError.contains("jobs.model: unknown model 'anythng_V5': did you mean 'anything_V5'? (vcctl models lists them)"), "\(typo.standardError)")
        let unknown = try await config.vcctl(home, daemon.socketPath, ["config", "set", "jobs.sampler", "Nope"])
        #expect(unknown.status == 64, "\(unknown.standardError)")
        #expect(unknown.standardError.contains("jobs.sampler: unknown sampler 'Nope' (vcctl samplers lists them)"), "\(unknown.standardError)")
        #expect(try config.configText(home) == written, "a refused name changes nothing")

        // What the daemon now gives a job that names none.
        let submitted = try await config.vcctl(home, daemon.socketPath, ["submit", "a harbour"])
        let id = submitted.standardOutput.split(separator: "\n").first.map(String.init) ?? ""
        #expect(try await config.params(home, daemon.socketPath, job: id)?["sampler"]?.stringValue == "Euler a")
    }

    @Test func withNoDaemonTheNameIsWrittenAsGivenAndSaidToBeUnchecked() async throws {
        let home = try config.folder(config: "")
        defer { home.remove() }
        let set = try await config.vcctl(home, home.file("none.sock"), ["config", "set", "jobs.model", "my_own_model"])
        #expect(set.status == 0, "\(set.standardError)")
        #expect(set.standardError.contains("jobs.model: 'my_own_model' is written unchecked: no daemon answers to list the models"), "\(set.standardError)")
        #expect(try config.configText(home).contains("model = \"my_own_model\"\n"))
        let other = try await config.vcctl(home, home.file("none.sock"), ["config", "set", "jobs.steps", "12"])
        #expect(other.status == 0 && other.standardError.isEmpty, "only names from the lists are checked: \(other.standardError)")
    }
}
