import JSON
import Posix
import Testing
import TestSupport

/// The Python of the virtual environment that `.ci/install-packages --tests`
/// makes, with the `mcp` SDK in it; nil when it was not made.
private let sdkPython: String? = {
    let path = ManualPage.repositoryRoot + "/.build/test-venv/bin/python"
    return FileSystem.isExecutable(path) ? path : nil
}()

/// `vcctl mcp` against the official MCP client, the `mcp` Python SDK, in each
/// of its connect modes: the handshake (`legacy`), `auto` (server/discover
/// first) and 2026-07-28 pinned. The script (`Tests/Clients/mcp_sdk_client.py`)
/// lists the tools, generates with a progress callback, reads the job and an
/// image back as resources, calls every other tool (the SDK checks each
/// structured result against the tool's outputSchema) and sends refused input.
@Suite(.enabled(if: sdkPython != nil, "needs the mcp Python SDK: run .ci/install-packages --tests"))
struct MCPPythonSDKTests {
    static let script = ManualPage.repositoryRoot + "/Tests/Clients/mcp_sdk_client.py"

    @Test(arguments: ["legacy", "auto", "2026-07-28"])
    func theSDKGeneratesAndReadsTheImagesBack(mode: String) async throws {
        let python = try #require(sdkPython)
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let arguments = [Self.script, mode, try BuiltProducts.path("vcctl"), "--socket", daemon.socketPath, "--no-start"]
        let environment = isolatedEnvironment(in: daemon.folder)
        let output = try await offPool { try runProcess(python, arguments, environment: environment, timeout: TestTime.scaled(.seconds(180))) }
        let seen = try JSONParser.parse(Array(output.standardOutput.utf8))
        #expect(output.status == 0 && seen["failure"] == nil, "the SDK failed: \(seen["failure"] ?? .null)\n\(output.standardError)")

        #expect(seen["protocol_version"] == (mode == "legacy" ? "2025-11-25" : "2026-07-28"))
        if mode != "2026-07-28" {
            // A pinned version skips the handshake and discovery, so it learns no server name.
            #expect(seen["server_name"] == "visioncraft")
        }
        #expect(seen["tools"] == ["generate_image", "get_job", "wait_job", "cancel_job", "retry_job", "list_jobs", "search_history", "list_backends", "list_models"])

        let generated = seen["generate"]
        #expect(generated?["is_error"] == false, "\(generated ?? .null)")
        let uris = generated?["uris"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(uris.count == 2 && uris.allSatisfy { $0.hasPrefix("file://" + daemon.folder.path) && $0.hasSuffix(".png") }, "\(uris)")
        #expect(generated?["mime_types"] == ["image/png", "image/png"])
        let job = generated?["structured"]?["job"]
        #expect(job?["state"] == "succeeded" && generated?["structured"]?["finished"] == true)
        let jobID = try #require(job?["id"]?.stringValue)

        let progress = seen["progress"]?.arrayValue?.compactMap { $0["progress"]?.doubleValue } ?? []
        #expect(!progress.isEmpty && zip(progress, progress.dropFirst()).allSatisfy { $0 < $1 }, "progress rises: \(progress)")
        #expect(seen["progress"]?[0]?["total"] == 2)

        #expect(seen["job_resource"]?["mime_type"] == "application/json" && seen["job_resource"]?["json"]?["id"]?.stringValue == jobID)
        #expect(seen["image_resource"]?["mime_type"] == "image/png" && seen["image_resource"]?["png"] == true)
        let savedSize = try FileSystem.readFile(String(uris[0].dropFirst("file://".count))).count
        #expect(seen["image_resource"]?["bytes"]?.intValue == savedSize, "the resource is the saved file")

        for (tool, answer) in seen["other_tools"]?.objectValue ?? [:] {
            #expect(answer["is_error"] == false && answer["structured"] == true, "\(tool): \(answer)")
        }
        #expect(seen["other_tools"]?.objectValue?.count == 6)

        #expect(seen["refused"]?["is_error"] == true)
        #expect(seen["refused"]?["text"]?.stringValue?.contains("image_count") == true, "\(seen["refused"] ?? .null)")
        #expect(seen["outside_file"]?["refused"] == true, "a file no job saved is not a resource")
    }
}
