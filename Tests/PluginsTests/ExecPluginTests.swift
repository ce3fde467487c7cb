import JSON
import PluginHost
import Posix
import Testing
import TestSupport

@Suite struct ExecPluginTests {
    func exec() throws -> LoadedPlugin {
        try PluginLoader.load("\(BuiltProducts.directory)/libvisioncraft-exec\(PluginRegistry.fileExtension)")
    }

    func parameters(_ options: String) -> String {
        #"{"prompt":"a fox","job_id":"01JTESTJOB00000000000000AA","options":\#(options)}"#
    }

    @Test func theCommandSeesTheImageTheParametersAndTheJob() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let out = folder.file("seen")
        let command = #"printf '%s|%s|%s' "$VISIONCRAFT_IMAGE" "$VISIONCRAFT_JOB_ID" "$VISIONCRAFT_PARAMETERS" > "# + out
        let json = JSONSerializer.serializeToString(["command": .string(command)])
        try await exec().file("/pictures/a b.png", parameters: parameters(json), timeout: TestTime.scaled(.seconds(30)))
        let seen = String(decoding: try FileSystem.readFile(out), as: UTF8.self)
        #expect(seen.hasPrefix("/pictures/a b.png|01JTESTJOB00000000000000AA|{\"prompt\":\"a fox\""))
    }

    @Test func failuresTimeoutsAndMissingCommandsAreExplained() async throws {
        let plugin = try exec()
        await #expect(throws: PluginError(.hookFailed, "plugin exec: the command exited with status 3: nope")) {
            try await plugin.file("/x.png", parameters: parameters(#"{"command":"echo nope >&2; exit 3"}"#), timeout: TestTime.scaled(.seconds(30)))
        }
        let started = MonotonicInstant.now()
        await #expect(throws: PluginError(.hookFailed, "plugin exec: the command ran longer than 1 s and was killed")) {
            try await plugin.file("/x.png", parameters: parameters(#"{"command":"sleep 300","timeout":1}"#), timeout: TestTime.scaled(.seconds(30)))
        }
        #expect(started.elapsed < .seconds(120), "the 300 s command was killed after its 1 s")
        await #expect(throws: PluginError.self, "no command") {
            try await plugin.file("/x.png", parameters: parameters("{}"), timeout: TestTime.scaled(.seconds(30)))
        }
    }
}
