import Reliability
import Testing
import TestSupport

/// A short run of `visioncraft-reliability soak` (which throws on a failed
/// job, an early request or more generations than the faults explain).
struct SoakCampaignTests {
    @Test func everyJobSucceedsThroughAFlakyUpstream() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = SoakCampaign.Settings()
        settings.jobs = 40
        settings.timeout = .seconds(120)
        let campaign = SoakCampaign(binaries: BuiltProducts.binaries, folder: folder.path, settings: settings)
        let report = try await offPool { try campaign.run() }
        #expect(report.jobs == 40)
        #expect(report.images == (0..<40).reduce(0) { $0 + $1 % 3 + 1 })
        #expect(report.generations > 40, "the faults cost requests: \(report.generationsByStatus)")
        #expect(report.earlyRequests == 0)
        #expect(report.downloads >= report.images)
    }

    @Test func theBoundIsFourDeviationsOverTheMean() {
        let bound = SoakCampaign.generationBound(jobs: 1_000, failureRate: 0.55)
        #expect(abs(bound - (1_000 / 0.45 + 4 * 550.0.squareRoot() / 0.45)) < 1e-9)
        #expect(bound > 2_400 && bound < 2_450, "\(bound)")
        #expect(SoakCampaign.generationBound(jobs: 10, failureRate: 0) == 10, "no faults: exactly one request a job")
    }
}
