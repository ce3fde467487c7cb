import Reliability
import Testing
import TestSupport

/// A short run of `visioncraft-reliability memory` on the debug build: 200
/// jobs of 16 KiB prompts, 30 `job.list {"limit":100}` (1.65 MB a reply) in
/// one write, and a batch of 200 of them. Without a bound, the clients that
/// do not read drive the daemon up by hundreds of megabytes within the
/// watch; with it, it holds two replies and a few being built.
struct MemoryCampaignTests {
    @Test func aPipeliningClientHoldsBoundedMemoryAndGivesItBack() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = MemoryCampaign.Settings()
        settings.jobs = 200
        settings.requests = 30
        settings.limit = 100
        settings.batchSize = 200
        settings.watch = .milliseconds(1500)
        settings.peakGrowthLimitKilobytes = 64 << 10
        settings.afterGrowthLimitKilobytes = 16 << 10
        settings.ceilingKilobytes = 1 << 20
        let campaign = MemoryCampaign(binaries: BuiltProducts.binaries, folder: folder.path, settings: settings)
        let report = try await offPool { try campaign.run() }
        // Not in a sanitizer run: there the resident size is the sanitizer's
        // (AddressSanitizer keeps freed blocks in a quarantine of up to 256 MB).
        if !SanitizedRun.isActive {
            #expect(report.failures == [])
        }
        #expect(report.phases.count == 3)
        #expect(report.phases[1].replies == 30, "the reading client got every reply")
    }
}
