@testable import Daemon
import Jobs
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// `job.submit` refuses what would fail after the generation is paid for
/// (a name the upstream's lists lack, an output folder that cannot take the
/// images, an init image that is not one) before the job is committed, and
/// stores a name given in another case as the lists spell it.
@Suite struct SubmitValidationTests {
    func emulated(_ options: inout DaemonOptions) {
        PluginOptionSubmitTests().emulated(&options)
    }

    @Test func namesAreStoredAsTheListsSpellThemAndNearMissesSuggested() async throws {
        let (stored, refusals, jobs) = try await withInProcessDaemon(emulated) { client, _ in
            // The lists at hand: a submit waits only 3 s for them (a loaded machine may take longer).
            _ = try client.call(ModelsList.self, .init())
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", model: "ANYTHING_v5", sampler: "euler A"))
            let stored = try client.call(JobGet.self, .init(id: submitted.id)).params
            let refusals = [
                serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", model: "anythng_V5")) },
                serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", sampler: "Eulr a")) },
            ]
            return (stored, refusals, try client.call(JobList.self, .init()).jobs)
        }
        #expect(stored.model == "anything_V5")
        #expect(stored.sampler == "Euler a")
        #expect(refusals[0]?.code == .invalidParams)
        #expect(refusals[0]?.data?["field"] == "params.model")
        #expect(refusals[0]?.data?["detail"] == "unknown model 'anythng_V5': did you mean 'anything_V5'? (vcctl models lists them)")
        #expect(refusals[1]?.data?["field"] == "params.sampler")
        #expect(refusals[1]?.data?["detail"] == "unknown sampler 'Eulr a': did you mean 'Euler a'? (vcctl samplers lists them)")
        #expect(jobs.count == 1, "only the job that was accepted")
    }

    @Test func anOutputFolderOrInitImageThatCannotBeUsedIsRefusedBeforeCommitting() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("file"), [1])
        try FileSystem.writeFileAtomically(folder.file("notes.png"), Array("a text file".utf8))
        let (refusals, jobs, created) = try await withInProcessDaemon(emulated) { client, _ in
            let refusals = [
                serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", outputDirectory: folder.file("file/images"))) },
                serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", initImage: folder.file("notes.png"))) },
                serverError { _ = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", initImage: folder.file("gone.png"))) },
            ]
            let created = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", outputDirectory: folder.file("new/images")))
            return (refusals, try client.call(JobList.self, .init()).jobs, created)
        }
        #expect(refusals[0]?.code == .invalidParams)
        #expect(refusals[0]?.data?["field"] == "params.output_dir")
        #expect(refusals[0]?.data?["detail"] == .string("cannot create the folder \(folder.file("file/images")): Not a directory"))
        #expect(refusals[1]?.data?["field"] == "params.init_images")
        #expect(refusals[1]?.data?["detail"] == .string("\(folder.file("notes.png")) is not a PNG, JPEG or WebP image"))
        #expect(refusals[2]?.data?["detail"] == .string("cannot read \(folder.file("gone.png")): No such file or directory"))
        #expect(jobs.map(\.id) == [created.id], "the refused ones were never committed")
        #expect(try FileSystem.status(folder.file("new/images"))?.kind == .directory, "made at submit, with its parents")
    }
}
