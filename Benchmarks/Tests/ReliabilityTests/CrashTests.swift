import Posix
import Reliability
import Testing
import TestSupport

/// The daemon killed with SIGKILL at random moments while it submits,
/// generates, downloads, runs a plugin and writes: every acknowledged job
/// still finishes with exactly its images, none lost, none doubled, no
/// half-written file under a final name, and the database stays intact. A
/// short run of `visioncraft-reliability crash` (which checks all of that
/// and throws on the first broken promise).
@Suite struct CrashTests {
    @Test func sigkillAtRandomMomentsLosesAndDoublesNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = CrashCampaign.Settings()
        settings.jobs = 28
        settings.kills = 30
        settings.longestLifeMilliseconds = 60
        settings.pluginEvery = 9  // the debug build's upscale is slow: a few jobs
        let campaign = CrashCampaign(binaries: BuiltProducts.binaries, folder: folder.path, settings: settings)
        let report = try await offPool { try campaign.run() }
        #expect(report.kills == 30)
        #expect(report.acknowledged == 28)
        #expect(report.images == (0..<28).reduce(0) { $0 + $1 % 7 + 1 })
        #expect(report.killsDuringWork >= 3, "the kills landed while jobs ran (else this proved little): \(report.killsDuringWork)")
    }
}
