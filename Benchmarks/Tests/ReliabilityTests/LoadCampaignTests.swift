import Reliability
import Testing
import TestSupport

/// A small run of `visioncraft-reliability load` (which throws on an error
/// answer, a lost event or an events.dropped notice). The latency bound is
/// loose here: a debug build on a machine running the whole suite.
struct LoadCampaignTests {
    @Test func everySubscriberHearsOfEveryJobWhileManyClientsAsk() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = LoadCampaign.Settings()
        settings.connections = 60
        settings.jobs = 300
        settings.subscribers = 4
        settings.writers = 3
        settings.askers = 2
        settings.statusP99Limit = .seconds(2)
        let campaign = LoadCampaign(binaries: BuiltProducts.binaries, folder: folder.path, settings: settings)
        let report = try await offPool { try campaign.run() }
        #expect(report.eventsPerSubscriber == [300, 300, 300, 300])
        #expect(report.dropped == 0)
        #expect(report.statusLatencies.count >= 60, "every connection answered at least once")
        #expect(report.statusLatency(at: 0.5) <= report.statusLatency(at: 0.99))
    }
}
