import Posix
import Testing
import TestSupport

/// A value vcctl refuses and one the daemon refuses read and exit alike:
/// 64 (EX_USAGE), the message naming the flag.
@Suite struct RefusedArgumentTests {
    @Test func theDaemonsRefusalNamesTheFlagAndExits64() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]

        // vcctl's own range check (cfg is 0 to 20 for every kind of job).
        let cfg = try await vcctl(socket + ["submit", "a fox", "--cfg", "21"], folder: daemon.folder)
        #expect(cfg.status == 64, "\(cfg.standardError)")
        #expect(cfg.standardError.contains("--cfg"), "\(cfg.standardError)")

        // A plugin step is read by the daemon's own reader, in vcctl.
        let step = try await vcctl(socket + ["submit", "a fox", "--plugin", "upscale:{oops"], folder: daemon.folder)
        #expect(step.status == 64, "\(step.standardError)")
        #expect(step.standardError.contains("--plugin 'upscale:{oops': the options after 'upscale:' are not a JSON object"), "\(step.standardError)")

        // 31 steps is refused by the daemon (text-to-image takes up to 30).
        let steps = try await vcctl(socket + ["submit", "a fox", "--steps", "31"], folder: daemon.folder)
        #expect(steps.status == 64, "\(steps.standardError)")
        #expect(steps.standardError.contains("--steps expected an integer from 1 to 30 for text-to-image, got 31"), "\(steps.standardError)")
        #expect(!steps.standardError.contains("params.steps"), "\(steps.standardError)")

        let sampler = try await vcctl(socket + ["submit", "a fox", "--sampler", "Nope", "--wait"], folder: daemon.folder)
        #expect(sampler.status == 64, "\(sampler.standardError)")
        #expect(sampler.standardError.contains("--sampler unknown sampler 'Nope'"), "\(sampler.standardError)")

        let rerunID = try await vcctl(socket + ["submit", "a fox"], folder: daemon.folder).standardOutput.split(separator: "\n").first.map(String.init)
        let rerun = try await vcctl(socket + ["rerun", try #require(rerunID), "--steps", "40"], folder: daemon.folder)
        #expect(rerun.status == 64, "\(rerun.standardError)")
        #expect(rerun.standardError.contains("--steps expected an integer from 1 to 30 for text-to-image, got 40"), "\(rerun.standardError)")

        let enable = try await vcctl(socket + ["plugins", "--enable", "upscale"], folder: daemon.folder)
        #expect(enable.status == 64, "\(enable.standardError)")
        #expect(enable.standardError.contains("--enable plugin upscale is not disabled"), "\(enable.standardError)")

        // The raw protocol has no flags: the field, and still 64.
        let raw = try await vcctl(socket + ["rpc", "job.submit", #"{"prompt":"a fox","steps":31}"#], folder: daemon.folder)
        #expect(raw.status == 64, "\(raw.standardError)")
        #expect(raw.standardError.contains("params.steps"), "\(raw.standardError)")
    }
}
