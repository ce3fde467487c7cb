@testable import Daemon
import Imaging
import Jobs
import JSONRPC
import PluginHost
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

@Suite struct PluginListTests {
    func copyTestPlugin(_ name: String, to folder: String) throws {
        let built = "\(BuiltProducts.directory)/libvctest-\(name)\(PluginRegistry.fileExtension)"
        try FileSystem.makeDirectories(folder, permissions: 0o755)
        try FileSystem.writeFileAtomically("\(folder)/\(name)\(PluginRegistry.fileExtension)", try FileSystem.readFile(built), permissions: 0o755)
    }

    @Test func pluginsAreListedWithTheirStateAndNewOnesReloaded() async throws {
        let plugins = try TemporaryDirectory()
        defer { plugins.remove() }
        try copyTestPlugin("echo", to: plugins.path)
        try copyTestPlugin("wrong-abi", to: plugins.path)
        let (listed, reloaded, status) = try await withInProcessDaemon({ options in
            options.set("upstream.url", "emulator")
            options.pluginFolders = [plugins.path]
        }) { client, _ in
            let listed = try client.call(PluginsList.self, NoParameters())
            try copyTestPlugin("failing-init", to: plugins.path)
            let reloaded = try client.call(PluginsReload.self, NoParameters())
            return (listed, reloaded, try client.call(DaemonStatus.self, NoParameters()))
        }
        let echo = try #require(listed.plugins.first { $0.name == "echo-test" })
        #expect(echo.loaded)
        #expect(echo.version == "1.0.0")
        #expect(echo.hooks == ["prompt", "image", "file"])
        #expect(echo.abi == "1.0")
        let wrong = try #require(listed.plugins.first { $0.path.hasSuffix("wrong-abi\(PluginRegistry.fileExtension)") })
        #expect(!wrong.loaded)
        #expect(wrong.error?.contains("built for plugin ABI 2.0; this visioncraftd speaks 1.2") == true)
        #expect(listed.folders.contains(plugins.path))
        #expect(reloaded.plugins.count == listed.plugins.count + 1)
        #expect(reloaded.plugins.last?.error?.contains("the model file is missing") == true)
        #expect(status.pid > 0, "the daemon still answers after refusing two plugins")
    }
}

@Suite struct PluginChainTests {
    func daemonWith(_ plugins: TemporaryDirectory, timeout: Duration = .seconds(30)) -> (inout DaemonOptions) -> Void {
        { options in
            options.set("upstream.url", "emulator")
            options.set("queue.requests_per_minute", 0)
            options.pluginFolders = [plugins.path]
            options.set("plugins.timeout", Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        }
    }

    func pluginFolder(_ names: [String]) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        for name in names { try PluginListTests().copyTestPlugin(name, to: folder.path) }
        return folder
    }

    @Test func promptAndImageHooksShapeTheSavedImage() async throws {
        let plugins = try pluginFolder(["echo"])
        defer { plugins.remove() }
        let (withPlugin, processed, original) = try await withInProcessDaemon(daemonWith(plugins)) { client, _ in
            let processed = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", plugins: [try PluginStep(parsing: "echo-test:strength=1")]))
            let first = try client.call(JobWait.self, .init(id: processed.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job
            // The same prompt without the plugin: the emulator draws the same picture.
            let unprocessed = try client.call(JobSubmit.self, JobRequest(prompt: "a fox (echoed)"))
            let second = try client.call(JobWait.self, .init(id: unprocessed.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job
            func decode(_ job: JobInfo) throws -> (image: RGBAImage, text: [PNGCodec.TextChunk]) {
                guard let path = job.images.first?.path else { throw TestFailure("no image for \(job.id): \(job.state) \(String(describing: job.error))") }
                return try PNGCodec.decode(try FileSystem.readFile(path))
            }
            return (first, try decode(first), try decode(second))
        }
        #expect(withPlugin.state == .succeeded)
        #expect(withPlugin.params.prompt == "a fox (echoed)", "the prompt hook ran at submit and the job keeps its result")
        #expect(processed.image.width == original.image.width)
        #expect(processed.image.pixels[0] == 255 - original.image.pixels[0], "the image hook inverted it")
        #expect(processed.image.pixels[3] == original.image.pixels[3], "alpha kept")
        let parameters = try #require(processed.text.first { $0.keyword == "parameters" }?.text)
        let read = A1111InfotextParser.parse(parameters)
        #expect(read["Prompt"] == "a fox (echoed)")
        #expect(read["Postprocessing"] == "echo-test", "post-processing is on A1111's parameter line: \(parameters)")
        #expect(read["Postprocess echo-test strength"] == "1")
        #expect(read["Job"] == withPlugin.id)
    }

    @Test func badChainsAndFailingHooksSayWhichPlugin() async throws {
        let plugins = try pluginFolder(["echo", "slow"])
        defer { plugins.remove() }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try await withInProcessDaemon(daemonWith(plugins, timeout: .milliseconds(300))) { client, _ in
            let unknown = serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "x", plugins: [try PluginStep(parsing: "no-such-plugin")])) }
            #expect(unknown?.data?["field"] == "params.plugins")
            #expect(unknown?.message.contains("no plugin named no-such-plugin is loaded (loaded: echo-test, slow-test") == true)
            // A step that does not read is refused where the request is read.
            let malformed = serverError { _ = try client.call("job.submit", params: ["prompt": "x", "plugins": ["echo-test:{oops"]]) }
            #expect(malformed?.data?["field"] == "params.plugins")
            #expect(malformed?.message.contains("not a JSON object") == true)
            #expect(throws: PluginStepError.self) { _ = try PluginStep(parsing: "echo-test:{oops") }

            // The echo plugin's file hook fails for paths with "fail" in them.
            let failing = try client.call(JobSubmit.self, JobRequest(prompt: "x", outputDirectory: folder.file("fail"), plugins: [try PluginStep(parsing: "echo-test")]))
            let failed = try client.call(JobWait.self, .init(id: failing.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job
            #expect(failed.state == .failed)
            #expect(failed.error?.kind == .plugin)
            #expect(failed.error?.message.contains("plugin echo-test: asked to fail") == true)

            // A hook past the time limit fails its job and marks the plugin hung.
            let slow = try client.call(JobSubmit.self, JobRequest(prompt: "y", plugins: [try PluginStep(parsing: #"slow-test:{"sleep_ms":20000}"#)]))
            let timedOut = try client.call(JobWait.self, .init(id: slow.id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job
            #expect(timedOut.state == .failed)
            #expect(timedOut.error?.message.contains("did not finish within 0.3 s") == true)
            let listed = try client.call(PluginsList.self, NoParameters())
            #expect(listed.plugins.first { $0.name == "slow-test" }?.hung?.contains("image hook") == true)
            let refused = serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "z", plugins: [try PluginStep(parsing: "slow-test")])) }
            #expect(refused?.message.contains("marked hung") == true)
            #expect(try client.call(DaemonStatus.self, NoParameters()).pid > 0, "the daemon still answers")
        }
    }
}

@Suite struct ShippedPluginTests {
    @Test func theDaemonFindsUpscaleBesideItsBinaryAndUsesIt() async throws {
        let (listed, job, size, parameters) = try await withInProcessDaemon({ options in
            options.set("upstream.url", "emulator")
            options.set("queue.requests_per_minute", 0)
        }) { client, _ in
            let listed = try client.call(PluginsList.self, NoParameters())
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a big fox", plugins: [try PluginStep(parsing: "upscale:scale=2")]))
            let job = try client.call(JobWait.self, .init(id: submitted.id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70))).job
            let decoded = try PNGCodec.decode(try FileSystem.readFile(try #require(job.images.first?.path)))
            return (listed, job, (decoded.image.width, decoded.image.height), decoded.text.first { $0.keyword == "parameters" }?.text)
        }
        #expect(listed.plugins.contains { $0.name == "upscale" && $0.loaded && $0.hooks == ["image"] })
        #expect(job.state == .succeeded, "\(String(describing: job.error))")
        #expect(size.0 == 1024 && size.1 == 1024)
        let read = A1111InfotextParser.parse(try #require(parameters))
        #expect(read["Prompt"] == "a big fox", "A1111 reads one parameter line: \(parameters ?? "")")
        #expect(read["Size-1"] == "1024" && read["Size-2"] == "1024", "the saved image's size")
        #expect(read["Postprocessing"] == "upscale")
        #expect(read["Postprocess upscale by"] == "2", "as A1111 names it")
        #expect(read["Job"] == job.id && read["Image"] == "1 of 1")
    }

    @Test func theTemplatePluginRewritesPromptsAtSubmit() async throws {
        let (job, refused) = try await withInProcessDaemon({ options in
            options.set("upstream.url", "emulator")
            options.set("queue.requests_per_minute", 0)
        }) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a {red|red} fox, (detailed:1.2)", plugins: [try PluginStep(parsing: "template")]))
            let job = try client.call(JobGet.self, .init(id: submitted.id))
            let refused = serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a {fox", plugins: [try PluginStep(parsing: "template")])) }
            return (job, refused)
        }
        #expect(job.params.prompt == "a red fox, (detailed:1.2)")
        #expect(job.params.plugins.map(\.text) == ["template"])
        #expect(refused?.data?["field"] == "params.plugins")
        #expect(refused?.message.contains("plugin template: '{' at 3 is never closed") == true)
    }

    @Test func aCombinatorialTemplateMakesOneJobPerPrompt() async throws {
        let (submitted, jobs, again) = try await withInProcessDaemon({ options in
            options.set("upstream.url", "emulator")
            options.set("queue.requests_per_minute", 0)
        }) { client, _ in
            let parameters = JobRequest(prompt: "a {red|blue} {fox|cat}", plugins: [try PluginStep(parsing: #"template:{"mode":"combinatorial"}"#)], idempotencyKey: "zoo")
            let submitted = try client.call(JobSubmit.self, parameters)
            let jobs = try submitted.ids.map { id in try client.call(JobWait.self, .init(id: id, timeoutSeconds: 30), timeout: TestTime.scaled(.seconds(40))).job }
            let again = try client.call(JobSubmit.self, parameters)
            return (submitted, jobs, again)
        }
        #expect(submitted.ids.count == 4)
        #expect(submitted.id == submitted.ids[0])
        #expect(jobs.map(\.params.prompt) == ["a red fox", "a red cat", "a blue fox", "a blue cat"])
        #expect(jobs.allSatisfy { $0.state == .succeeded })
        #expect(jobs.map(\.params.idempotencyKey) == ["zoo", "zoo#2", "zoo#3", "zoo#4"])
        #expect(again.existing && again.ids == submitted.ids, "submitting again with the key makes nothing new")
    }
}
