@testable import Daemon
import Jobs
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// `job.submit` checks each step's options against what its plugin declares,
/// before the job is committed (nothing is generated, nothing is stored).
@Suite struct PluginOptionSubmitTests {
    func emulated(_ options: inout DaemonOptions) {
        options.set("upstream.url", "emulator")
        options.set("queue.requests_per_minute", 0)
    }

    @Test func badOptionsAreRefusedAtSubmitNamingWhatIsAccepted() async throws {
        let plugins = try PluginChainTests().pluginFolder(["echo"])
        defer { plugins.remove() }
        let (refusals, jobs, listed, old) = try await withInProcessDaemon({ options in
            emulated(&options)
            options.pluginFolders = [plugins.path]
        }) { client, _ in
            let refusals = ["upscale:factor=2", "upscale:scale=5", "exec", "template:mode=every"].map { spec in
                (spec, serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", plugins: [try PluginStep(parsing: spec)])) })
            }
            let jobs = try client.call(JobList.self, .init()).jobs
            let listed = try client.call(PluginsList.self, NoParameters())
            // An ABI 1.0 plugin declares no options: any are taken, as before.
            let old = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", plugins: [try PluginStep(parsing: "echo-test:anything=1")]))
            return (refusals, jobs, listed, old)
        }
        for (spec, refusal) in refusals {
            #expect(refusal?.code == .invalidParams, "\(spec)")
            #expect(refusal?.data?["field"] == "params.plugins", "\(spec)")
        }
        #expect(refusals[0].1?.message.contains("upscale has no option 'factor'; it takes scale, width, height") == true)
        #expect(refusals[1].1?.message.contains("upscale: scale=5 is not accepted: scale is a whole number from 2 to 4") == true)
        #expect(refusals[2].1?.message.contains("exec needs the option command") == true)
        #expect(refusals[3].1?.message.contains("mode is one of random, combinatorial") == true)
        #expect(jobs.isEmpty, "refused before anything was committed")
        let upscale = listed.plugins.first { $0.name == "upscale" }
        #expect(upscale?.options?.first == PluginOptionInfo(name: "scale", type: "integer", required: false, minimum: 2, maximum: 4, description: "2, 3 or 4; default 2"))
        #expect(listed.plugins.first { $0.name == "exec" }?.options?.first?.required == true)
        #expect(listed.plugins.first { $0.name == "echo-test" }?.options == nil)
        #expect(!old.id.isEmpty)
    }

    @Test func severalStylesAsDocumented() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("styles.csv"), Array("name,prompt,negative_prompt\nA,{prompt} in oil,\nB,at dusk,blurry\n".utf8))
        let job = try await withInProcessDaemon(emulated) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", plugins: [try PluginStep(parsing: "template:styles=\(folder.file("styles.csv")),style=A, B")]))
            return try client.call(JobGet.self, .init(id: submitted.id))
        }
        #expect(job.params.prompt == "a fox in oil, at dusk", "style=A, B applies both")
        #expect(job.params.negativePrompt == "blurry")
    }
}
