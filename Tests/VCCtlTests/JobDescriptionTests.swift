import Jobs
import Testing
@testable import VCCtl
import VisionCraftProtocol

@Suite struct JobDescriptionTests {
    func job(prompt: String) -> JobSummary {
        JobSummary(JobInfo(
            id: "01J", state: .succeeded, params: JobRequest(prompt: prompt, imageCount: 2), images: [], imagesDone: 2,
            attempts: 1, error: nil, position: nil, nextAttemptAt: nil, createdAt: "2026-11-30T17:01:47.651Z",
            updatedAt: "2026-11-30T17:01:48.000Z", startedAt: nil, finishedAt: nil
        ))
    }

    @Test func aListingLineIsOneLineWhateverThePromptHolds() {
        let line = JobDescription.line(job(prompt: "a fox\r\nin\tthe \u{1B}[31msnow\u{7F}\u{85}é"))
        #expect(line == #"01J  succeeded 2/2     2026-11-30 17:01  a fox\r\nin\tthe \x1b[31msnow\x7f\u{85}é"# + "\n")
        #expect(line.unicodeScalars.filter { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } == ["\n"], "only the line's own end")
    }

    @Test func longPromptsAreCutTo60Characters() {
        let line = JobDescription.line(job(prompt: String(repeating: "x", count: 100)))
        #expect(line.hasSuffix("  " + String(repeating: "x", count: 59) + "…\n"))
        // Characters, not bytes: 60 of them of two bytes each fit.
        #expect(JobDescription.line(job(prompt: String(repeating: "é", count: 60))).hasSuffix("  " + String(repeating: "é", count: 60) + "\n"))
        #expect(JobDescription.line(job(prompt: String(repeating: "é", count: 61))).hasSuffix("  " + String(repeating: "é", count: 59) + "…\n"))
    }
}
