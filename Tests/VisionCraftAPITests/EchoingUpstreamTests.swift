import HTTPServer
import JSON
import Posix
import Testing
import TestSupport

/// A daemon in front of an upstream that echoes the key it is sent, whole
/// and in pieces, on both sides of where texts used to be cut (80 and 200
/// bytes): no piece of the key of 8 bytes or more reaches a reply, an event,
/// the log or any file the daemon wrote.
@Suite struct EchoingUpstreamTests {
    static let key = "KSECRET-5f3a9c1e7b2d4068aa"

    /// Whether `text` holds any 8-byte piece of the key.
    static func holdsAPiece(_ text: [UInt8]) -> Bool {
        let bytes = Array(key.utf8)
        return (0...(bytes.count - 8)).contains { text.firstRange(of: bytes[$0..<($0 + 8)]) != nil }
    }

    /// The upstream: lists, then a generation answered with the key echoed.
    static func echoingServer() throws -> HTTPServer {
        let server = try HTTPServer { request in
            switch request.path {
            case "/models": return .response(.json(["m1"]))
            case "/samplers": return .response(.json(["Euler"]))
            default:
                let sent = try? JSONParser.parse(request.body)
                let token = sent?["token"]?.stringValue ?? "no token sent"
                let piece = String(token.prefix(12))
                let near80 = String(repeating: "y", count: 74), near200 = String(repeating: "z", count: 190)
                if sent?["prompt"]?.stringValue == "refused" {
                    let detail: JSON = [[
                        "loc": ["body", .string(near80 + token)],
                        "msg": .string(near80 + "token=" + token + " " + near200 + piece + "... is not valid"),
                    ]]
                    return .response(.json(["detail": detail], status: .unprocessableContent))
                }
                return .response(.json(["images": [["url": "x", "token": .string(near80 + piece)], .string(near200 + token)]]))
            }
        }
        try server.start()
        return server
    }

    @Test func theEchoedKeyIsScrubbedFromRepliesEventsTheLogAndTheStore() async throws {
        let server = try Self.echoingServer()
        defer { server.stop() }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (seen, log, files) = try await offPool { () -> (String, String, [(String, [UInt8])]) in
            let daemon = try DaemonProcess.start(
                arguments: ["--upstream", server.baseURL, "--requests-per-minute", "0"], folder: folder,
                environment: isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_API_KEY": Self.key])
            )
            let client = try daemon.connect()
            var seen = ""
            // Jobs an event has shown with an error (whenever it came).
            var failed: Set<String> = []
            func next() throws -> JSON {
                let line = try client.readLine(timeout: TestTime.scaled(.seconds(60)))
                seen += line + "\n"
                let message = try JSONParser.parse(line)
                if message["method"] != nil, message["params"]?["error"] != nil, let id = message["params"]?["id"]?.stringValue {
                    failed.insert(id)
                }
                return message
            }
            func call(_ id: Int, _ method: String, _ params: String) throws -> JSON {
                try client.sendLine(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
                while true {
                    let message = try next()
                    if message["id"] == .number(JSONNumber(id)) { return message }
                }
            }
            _ = try call(1, "events.subscribe", "{}")
            var ids: [String] = []
            for (index, prompt) in ["refused", "unusable"].enumerated() {
                let reply = try call(10 + index, "job.submit", #"{"prompt":"\#(prompt)","model":"m1","sampler":"Euler"}"#)
                ids.append(try #require(reply["result"]?["id"]?.stringValue, "\(reply)"))
            }
            // Until an event carries each job's error.
            while !failed.isSuperset(of: ids) { _ = try next() }
            for (index, id) in ids.enumerated() {
                let job = try call(20 + index, "job.get", #"{"id":"\#(id)"}"#)
                #expect(job["result"]?["job"]?["error"] != nil || job["result"]?["error"] != nil, "\(job)")
            }
            _ = try call(30, "job.list", "{}")
            client.close()
            _ = try daemon.terminate()
            let listing = try runProcess("/usr/bin/find", [folder.path, "-type", "f"])
            let files = try listing.standardOutput.split(separator: "\n").map { (String($0), try FileSystem.readFile(String($0))) }
            return (seen, daemon.log(), files)
        }
        #expect(seen.contains("***"), "the echo reached the replies, scrubbed: \(seen)")
        let replyLeaks = Self.holdsAPiece(Array(seen.utf8)), logLeaks = Self.holdsAPiece(Array(log.utf8))
        #expect(!replyLeaks, "a reply or event holds a piece of the key: \(seen)")
        #expect(!logLeaks, "the log holds a piece of the key: \(log)")
        #expect(files.contains { $0.0.hasSuffix("jobs.sqlite3") }, "\(files.map(\.0))")
        for (path, bytes) in files {
            let leaks = Self.holdsAPiece(bytes)
            #expect(!leaks, "\(path) holds a piece of the key")
        }
    }
}
