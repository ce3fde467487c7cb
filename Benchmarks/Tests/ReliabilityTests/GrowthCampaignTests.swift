import Reliability
import Testing
import TestSupport

/// A small run of `visioncraft-reliability growth` against the debug build:
/// every phase reads the daemon's memory, the soak answers every request,
/// and its memory stays within the campaign's bound after the first tenth.
struct GrowthCampaignTests {
    @Test func theDaemonsMemoryIsReadInEveryPhaseAndStaysFlatThroughTheSoak() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = GrowthCampaign.Settings()
        settings.jobs = 300
        settings.connections = 50
        settings.requests = 30_000
        settings.requestsPerConnection = 5_000
        settings.samples = 10
        // A debug build's allocator settles later; the bound is the tool's
        // business, this checks that the readings are taken and plausible.
        settings.growthLimitKilobytes = 8 << 10
        let campaign = GrowthCampaign(binaries: BuiltProducts.binaries, folder: folder.path, settings: settings)
        let report = try await offPool { try campaign.run() }
        #expect(report.idle > 0 && report.afterJobs > 0 && report.afterConnections > 0)
        #expect(report.soak.count == 10)
        #expect(report.soak.map(\.requests) == report.soak.map(\.requests).sorted(), "readings in the soak's order")
        #expect(report.soak.last?.requests == 30_000, "every request answered")
        #expect(report.growth <= 8 << 10)
    }
}
