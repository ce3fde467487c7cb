import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// `vcctl mcp` as an assistant's client runs it, against a real daemon on
/// the emulator: both eras, every tool, progress, waits that outlive the
/// call, cancellation, a daemon killed mid-call, size bounds and bad input.
@Suite struct MCPEndToEndTests {
    static let modern: JSON = ["io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:]]

    /// A daemon on the emulator and `vcctl mcp` on its socket.
    struct Setup {
        let daemon: DaemonProcess
        let mcp: MCPClientProcess

        static func start(_ daemonArguments: [String] = ["--emulator", "--requests-per-minute", "0"], noStart: Bool = true) async throws -> Setup {
            let daemon = try await offPool { try DaemonProcess.start(arguments: daemonArguments) }
            let mcp = try MCPClientProcess(
                arguments: ["--socket", daemon.socketPath] + (noStart ? ["--no-start"] : []), environment: isolatedEnvironment(in: daemon.folder),
                errorLog: daemon.folder.file("mcp.stderr")
            )
            return Setup(daemon: daemon, mcp: mcp)
        }

        func call(_ tool: String, _ arguments: JSON, meta: JSON? = nil, id: Int? = nil) async throws -> (answer: JSON, notes: [JSON]) {
            var params: JSONObject = ["name": .string(tool), "arguments": arguments]
            if let meta { params["_meta"] = meta }
            let mcp = self.mcp
            let request = JSON.object(params)
            return try await offPool { try mcp.request("tools/call", request, id: id) }
        }

        func cleanUp() {
            mcp.kill()
            daemon.cleanUp()
        }
    }

    static func fileURIs(_ result: JSON?) -> [String] {
        (result?["content"]?.arrayValue ?? []).filter { $0["type"] == "resource_link" }.compactMap { $0["uri"]?.stringValue }
    }

    @Test func theHandshakeEraGeneratesWithProgressAndReadsTheImagesBack() async throws {
        let setup = try await Setup.start()
        defer { setup.cleanUp() }
        let opened = try await offPool { try setup.mcp.initialize() }
        #expect(opened["result"]?["protocolVersion"] == "2025-11-25" && opened["result"]?["serverInfo"]?["name"] == "visioncraft")
        let tools = try await offPool { try setup.mcp.request("tools/list").answer }
        let names = tools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names == ["generate_image", "get_job", "wait_job", "cancel_job", "retry_job", "list_jobs", "search_history", "list_backends", "list_models"])
        let schema = tools["result"]?["tools"]?[0]?["inputSchema"]
        #expect(schema?["properties"]?["image_count"]?["maximum"] == 100 && schema?["required"] == ["prompt"])

        let (answer, notes) = try await setup.call(
            "generate_image", ["prompt": "a lighthouse at dusk", "image_count": 3, "wait_seconds": 60], meta: ["progressToken": "gen-1"]
        )
        let result = answer["result"]
        #expect(result?["isError"] == nil, "\(answer)")
        #expect(result?["structuredContent"]?["job"]?["state"] == "succeeded" && result?["structuredContent"]?["finished"] == true)
        let progress = notes.filter { $0["method"] == "notifications/progress" }.compactMap { $0["params"]?["progress"]?.doubleValue }
        #expect(!progress.isEmpty && progress == progress.sorted() && Set(progress).count == progress.count, "rising progress: \(progress)")
        #expect(notes.allSatisfy { $0["params"]?["progressToken"] == "gen-1" && $0["params"]?["total"] == 3 })
        let uris = Self.fileURIs(result)
        #expect(uris.count == 3)
        // The link's file is the saved PNG; reading the resource gives its bytes.
        let uri = try #require(uris.first)
        let path = String(uri.dropFirst("file://".count))
        let onDisk = try FileSystem.readFile(path)
        _ = try PNGCodec.decode(onDisk)
        let read = try await offPool { try setup.mcp.request("resources/read", ["uri": .string(uri)]).answer }
        let contents = read["result"]?["contents"]?[0]
        let blob = try decodeBase64(contents?["blob"]?.stringValue ?? "")
        #expect(contents?["mimeType"] == "image/png" && blob == onDisk, "\(String(describing: contents?["mimeType"]))")
        let id = try #require(result?["structuredContent"]?["job"]?["id"]?.stringValue)
        let job = try await offPool { try setup.mcp.request("resources/read", ["uri": .string("visioncraft://job/\(id)")]).answer }
        let described = try JSONParser.parse(job["result"]?["contents"]?[0]?["text"]?.stringValue ?? "")
        #expect(described["id"]?.stringValue == id && described["images"]?[0]?["uri"]?.stringValue == uri)
        let listed = try await offPool { try setup.mcp.request("resources/list").answer }
        #expect(listed["result"]?["resources"]?.arrayValue?.contains { $0["uri"]?.stringValue == uri } == true)
        #expect(try await offPool { try setup.mcp.close() } == .exited(0), "stdin closed: exits")
    }

    @Test func theModernEraNeedsNoHandshake() async throws {
        let setup = try await Setup.start()
        defer { setup.cleanUp() }
        let discovered = try await offPool { try setup.mcp.request("server/discover", ["_meta": Self.modern]).answer["result"] }
        #expect(discovered?["supportedVersions"]?[0] == "2026-07-28" && discovered?["resultType"] == "complete")
        var meta = Self.modern.objectValue!
        meta["progressToken"] = 7
        let (answer, notes) = try await setup.call("generate_image", ["prompt": "a red fox", "wait_seconds": 60], meta: .object(meta))
        #expect(answer["result"]?["resultType"] == "complete" && answer["result"]?["structuredContent"]?["job"]?["state"] == "succeeded", "\(answer)")
        #expect(answer["result"]?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "visioncraft")
        #expect(notes.contains { $0["params"]?["progressToken"] == 7 })
        // With the tasks extension the call answers at once with the job as a task.
        meta["io.modelcontextprotocol/clientCapabilities"] = ["extensions": ["io.modelcontextprotocol/tasks": [:]]]
        let task = try await setup.call("generate_image", ["prompt": "a blue fox"], meta: .object(meta)).answer["result"]
        #expect(task?["resultType"] == "task" && task?["status"] == "working" && task?["pollIntervalMs"] != nil, "\(String(describing: task))")
        let taskID = try #require(task?["taskId"]?.stringValue)
        let taskMeta = JSON.object(meta)
        let finished = try await offPool { () throws -> JSON? in
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(60)))
            while MonotonicInstant.now() < deadline {
                let got = try setup.mcp.request("tasks/get", ["taskId": .string(taskID), "_meta": taskMeta]).answer["result"]
                if got?["status"] != "working" { return got }
                _ = try setup.mcp.request("tools/call", ["name": "wait_job", "arguments": ["id": .string(taskID), "wait_seconds": 10], "_meta": Self.modern])
            }
            return nil
        }
        #expect(finished?["status"] == "completed" && finished?["result"]?["structuredContent"]?["job"]?["state"] == "succeeded", "\(String(describing: finished))")
    }

    @Test func aJobThatOutlivesItsWaitIsFollowedUpWithWaitJob() async throws {
        let setup = try await Setup.start(["--emulator", "--requests-per-minute", "0", "--emulator-faults", #"{"latency_ms":1500}"#])
        defer { setup.cleanUp() }
        _ = try await offPool { try setup.mcp.initialize() }
        let first = try await setup.call("generate_image", ["prompt": "a slow fox", "wait_seconds": 0.2]).answer["result"]
        #expect(first?["isError"] == nil && first?["structuredContent"]?["finished"] == false, "\(String(describing: first))")
        let id = try #require(first?["structuredContent"]?["job"]?["id"]?.stringValue)
        #expect(first?["content"]?[0]?["text"]?.stringValue?.contains("wait_job") == true)
        let done = try await setup.call("wait_job", ["id": .string(id), "wait_seconds": 60]).answer["result"]
        #expect(done?["structuredContent"]?["job"]?["state"] == "succeeded" && Self.fileURIs(done).count == 1, "\(String(describing: done))")
        let got = try await setup.call("get_job", ["id": .string(id)]).answer["result"]
        #expect(got?["structuredContent"]?["finished"] == true)
    }

    @Test func aCancelledCallStopsWaitingAndLeavesTheJobUnlessAsked() async throws {
        let setup = try await Setup.start(["--emulator", "--requests-per-minute", "0", "--emulator-faults", #"{"latency_ms":60000}"#])
        defer { setup.cleanUp() }
        _ = try await offPool { try setup.mcp.initialize() }
        for cancelJob in [false, true] {
            let id = cancelJob ? 51 : 50
            try await offPool {
                try setup.mcp.send([
                    "jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "tools/call",
                    "params": ["name": "generate_image", "arguments": ["prompt": "a stuck fox", "wait_seconds": 120, "cancel_on_abort": .bool(cancelJob)], "_meta": ["progressToken": "c"]],
                ])
                // The first progress says the job is committed and waited for.
                let first = try setup.mcp.next()
                #expect(first["method"] == "notifications/progress", "\(first)")
                try setup.mcp.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": .number(JSONNumber(id)), "reason": "the user pressed stop"]])
            }
            // Nothing comes for the cancelled call: the next answer is the next request's.
            let listed = try await offPool { try setup.mcp.request("tools/call", ["name": "list_jobs", "arguments": ["limit": 1]]) }
            #expect(listed.notes.allSatisfy { $0["id"] == nil }, "no answer to a cancelled call: \(listed.notes)")
            let job = listed.answer["result"]?["structuredContent"]?["jobs"]?[0]
            let jobID = try #require(job?["id"]?.stringValue)
            let state = try await offPool { () throws -> String? in
                // The cancellation of the job, when asked, follows the wake.
                let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(20)))
                while true {
                    let now = try setup.mcp.request("tools/call", ["name": "wait_job", "arguments": ["id": .string(jobID), "wait_seconds": 1]]).answer
                    let state = now["result"]?["structuredContent"]?["job"]?["state"]?.stringValue
                    if !cancelJob || state == "cancelled" || MonotonicInstant.now() > deadline { return state }
                }
            }
            #expect(cancelJob ? state == "cancelled" : state != "cancelled", "cancel_on_abort \(cancelJob): \(String(describing: state))")
        }
    }

    @Test func aDaemonKilledMidCallIsAClearErrorAndTheJobSurvives() async throws {
        let arguments = ["--emulator", "--requests-per-minute", "0", "--emulator-faults", #"{"latency_ms":60000}"#]
        let setup = try await Setup.start(arguments)
        defer { setup.cleanUp() }
        _ = try await offPool { try setup.mcp.initialize() }
        let answer = try await offPool { () throws -> JSON in
            try setup.mcp.send([
                "jsonrpc": "2.0", "id": 60, "method": "tools/call",
                "params": ["name": "generate_image", "arguments": ["prompt": "a fox the crash leaves", "wait_seconds": 120], "_meta": ["progressToken": "k"]],
            ])
            _ = try setup.mcp.next()
            setup.daemon.child.send(.kill)
            _ = try? setup.daemon.child.wait()
            return try setup.mcp.answer(to: 60).answer
        }
        #expect(answer["result"]?["isError"] == true, "\(answer)")
        let message = answer["result"]?["content"]?[0]?["text"]?.stringValue ?? ""
        #expect(message.contains("daemon") && message.contains("kept"), "\(message)")
        // The server is still there; with no daemon a call says what to do.
        let unreachable = try await setup.call("list_jobs", [:]).answer["result"]
        #expect(unreachable?["isError"] == true && unreachable?["content"]?[0]?["text"]?.stringValue?.contains("vcctl daemon start") == true)
        // A new daemon on the same database has the job.
        let again = try await offPool { try DaemonProcess.start(arguments: arguments, folder: setup.daemon.folder) }
        defer { again.cleanUp() }
        let jobs = try await setup.call("search_history", ["query": "crash leaves"]).answer["result"]
        #expect(jobs?["structuredContent"]?["jobs"]?.arrayValue?.count == 1, "\(String(describing: jobs))")
    }

    @Test func aHundredImagesStayInsideWhatClientsAccept() async throws {
        let setup = try await Setup.start(["--emulator", "--requests-per-minute", "0", "--emulator-faults", #"{"latency_ms":0}"#])
        defer { setup.cleanUp() }
        _ = try await offPool { try setup.mcp.initialize() }
        let answer = try await setup.call("generate_image", ["prompt": "a hundred foxes", "image_count": 100, "wait_seconds": 300, "previews": true]).answer
        let result = answer["result"]
        #expect(result?["structuredContent"]?["job"]?["state"] == "succeeded", "\(String("\(answer)".prefix(500)))")
        #expect(Self.fileURIs(result).count == 100)
        let bytes = JSONSerializer.serialize(answer).count
        #expect(bytes < 1 << 20, "the whole result under 1 MiB: \(bytes)")
        let previews = (result?["content"]?.arrayValue ?? []).filter { $0["type"] == "image" }
        #expect(!previews.isEmpty)
        for preview in previews {
            let png = try decodeBase64(preview["data"]?.stringValue ?? "")
            #expect(png.count < 100 << 10)
            let size = try PNGCodec.size(of: png)
            #expect(size.width <= 256 && size.height <= 256)
        }
        if previews.count < 100 {
            #expect(result?["content"]?.arrayValue?.contains { $0["text"]?.stringValue?.contains("No preview for") == true } == true)
        }
    }

    @Test func everyOtherToolAnswers() async throws {
        let setup = try await Setup.start()
        defer { setup.cleanUp() }
        _ = try await offPool { try setup.mcp.initialize() }
        let made = try await setup.call("generate_image", ["prompt": "an owl in the snow", "labels": ["birds"], "wait_seconds": 60]).answer["result"]
        let id = try #require(made?["structuredContent"]?["job"]?["id"]?.stringValue)
        let backends = try await setup.call("list_backends", [:]).answer["result"]
        #expect(backends?["structuredContent"]?["backends"]?[0]?["name"] == "visioncraft")
        let models = try await setup.call("list_models", [:]).answer["result"]
        #expect(models?["structuredContent"]?["models"]?.arrayValue?.isEmpty == false)
        let labelled = try await setup.call("list_jobs", ["label": "birds", "state": "succeeded"]).answer["result"]
        #expect(labelled?["structuredContent"]?["jobs"]?[0]?["id"]?.stringValue == id)
        let found = try await setup.call("search_history", ["query": "owl snow"]).answer["result"]
        #expect(found?["structuredContent"]?["jobs"]?[0]?["id"]?.stringValue == id)
        let refused = try await setup.call("cancel_job", ["id": .string(id)]).answer["result"]
        #expect(refused?["isError"] == true, "a finished job cannot be cancelled: \(String(describing: refused))")
        let missing = try await setup.call("get_job", ["id": "0000000000"]).answer["result"]
        #expect(missing?["isError"] == true)
        let stuck = try await setup.call("generate_image", ["prompt": "a fox to cancel", "wait_seconds": 0, "priority": -100]).answer["result"]
        let stuckID = try #require(stuck?["structuredContent"]?["job"]?["id"]?.stringValue)
        _ = try await setup.call("cancel_job", ["id": .string(stuckID)])
        let retried = try await setup.call("retry_job", ["id": .string(stuckID)]).answer["result"]
        let state = retried?["structuredContent"]?["job"]?["state"]?.stringValue
        #expect(state == "queued" || state == "running" || state == "succeeded" || retried?["isError"] == true, "\(String(describing: retried))")
    }

    @Test func badInputIsRefusedWithAMessageAndLosesNothing() async throws {
        let setup = try await Setup.start()
        defer { setup.cleanUp() }
        // Before initialize: an error, not a crash.
        let early = try await offPool { try setup.mcp.request("tools/list").answer }
        #expect(early["error"]?["code"] == -32600)
        _ = try await offPool { try setup.mcp.initialize() }
        func refusal(_ arguments: JSON) async throws -> String {
            let result = try await setup.call("generate_image", arguments).answer["result"]
            #expect(result?["isError"] == true, "\(arguments): \(String(describing: result))")
            return result?["content"]?[0]?["text"]?.stringValue ?? ""
        }
        #expect(try await refusal(["prompt": .string(String(repeating: "a", count: 10 << 20))]).contains("prompt"))
        #expect(try await refusal(["prompt": "x", "image_count": 10000]).contains("image_count"))
        #expect(try await refusal(["prompt": "x", "promt": "typo"]).contains("promt"))
        #expect(try await refusal(["prompt": "x", "wait_seconds": "soon"]).contains("wait_seconds"))
        #expect(try await refusal(["prompt": "x", "init_image": "/proc/self/environ"]).contains("system file"))
        #expect(try await refusal(["prompt": "x", "init_image": "/etc/passwd"]).contains("not a PNG, JPEG or WebP"))
        #expect(try await refusal(["prompt": "x", "init_image": "relative.png"]).contains("absolute"))
        #expect(try await refusal(["prompt": "x", "model": "no-such-model"]).contains("model"))
        #expect(try await refusal([:]).contains("prompt"))
        // Nothing was committed by any of them.
        let jobs = try await setup.call("list_jobs", [:]).answer["result"]
        #expect(jobs?["structuredContent"]?["jobs"]?.arrayValue?.isEmpty == true, "\(String(describing: jobs))")
        // Resources: only what a job saved.
        let passwd = try await offPool { try setup.mcp.request("resources/read", ["uri": "file:///etc/passwd"]).answer }
        #expect(passwd["error"]?["code"] == -32002, "\(passwd)")
        let forged = try await offPool { try setup.mcp.request("resources/read", ["uri": "file:///tmp/01ABC-1.png"]).answer }
        #expect(forged["error"] != nil)
        // Protocol faults: errors, and the server goes on.
        try await offPool { try setup.mcp.sendLine("{\"jsonrpc\": \"2.0\", \"id\": 3, ") }
        #expect(try await offPool { try setup.mcp.next() }["error"]?["code"] == -32700)
        #expect(try await setup.call("no_such_tool", [:]).answer["error"]?["code"] == -32602)
        #expect(try await offPool { try setup.mcp.request("tools/call", ["name": 5]).answer }["error"]?["code"] == -32602)
        #expect(try await offPool { try setup.mcp.request("bogus/method").answer }["error"]?["code"] == -32601)
        #expect(try await offPool { try setup.mcp.close() } == .exited(0))
    }
}
