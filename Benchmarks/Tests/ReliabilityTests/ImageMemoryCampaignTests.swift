import Posix
import Reliability
import Testing
import TestSupport

/// A short run of `visioncraft-reliability images` on the debug build: a
/// 1024x1024 bomb through upscale:scale=2 (4 MiB decoded, a 16 MiB result)
/// with a 24 MiB budget, one job, then two at once. The campaign reports a
/// problem when a job fails or the daemon's peak grows past the budget and
/// the slack (the code before the budget held about 72 MiB for one job, 144
/// for two).
struct ImageMemoryCampaignTests {
    @Test(.enabled(if: (try? FileSystem.status("/proc/self/status"))?.flatMap({ $0 }) != nil, "reads VmHWM from /proc (Linux)"))
    func twoBombsAtOnceStayWithinTheBudget() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = ImageMemoryCampaign.Settings()
        settings.bombSide = 1024
        settings.imageMemoryMB = 24
        settings.maxInputMegapixels = 1
        settings.maxOutputMegapixels = 4
        settings.checkDefaults = false
        settings.slackMB = 16
        settings.timeout = TestTime.scaled(.seconds(120))
        let campaign = ImageMemoryCampaign(binaries: BuiltProducts.binaries, folder: folder.path, settings: settings)
        let report = try await offPool { try campaign.run() }
        #expect(report.phases.map(\.name) == ["limits raised, one job", "limits raised, two jobs at once"])
        #expect(report.phases.allSatisfy { $0.outcomes.allSatisfy { $0 == "succeeded" } })
        // Not in a sanitizer run: there the resident size is the sanitizer's
        // (shadow memory, AddressSanitizer's quarantine of freed blocks).
        if !SanitizedRun.isActive {
            #expect(report.problems.isEmpty, "\(report.problems)")
            let (one, two) = (report.phases[0], report.phases[1])
            #expect(two.growthMB <= one.growthMB + 8, "two jobs took turns: \(one.growthMB) MiB for one, \(two.growthMB) for two")
        }
    }
}
