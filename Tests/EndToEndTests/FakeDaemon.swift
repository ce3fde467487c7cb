import JSON
import Posix
import TestSupport

/// A stand-in for visioncraftd that answers each method with a fixed reply,
/// for what a real daemon would not send: names and messages holding
/// terminal controls. It listens on a Unix socket in a folder of its own
/// and serves one connection at a time (vcctl opens one per run).
final class FakeDaemon: @unchecked Sendable {
    let folder: TemporaryDirectory
    var socketPath: String { folder.file("run/fake.sock") }
    private let listener: FileDescriptor
    private let stopping = Lock(false)
    private var thread: OSThread?

    /// A reply for a method: `{"result": ...}` or `{"error": {...}}`.
    /// Unknown methods get method-not-found.
    init(replies: [String: JSON]) throws {
        folder = try TemporaryDirectory()
        try FileSystem.makeDirectories(folder.file("run"), permissions: 0o700)
        listener = try UnixSocket.listen(at: folder.file("run/fake.sock"))
        let listener = self.listener
        let stopping = self.stopping
        thread = try OSThread.spawn(name: "fake-daemon") {
            while !stopping.withLock({ $0 }) {
                guard (try? Poll.wait(for: listener, events: .readable, timeout: .milliseconds(50))) == true,
                    let connection = try? UnixSocket.accept(from: listener)
                else { continue }
                let client = LineClient(descriptor: connection)
                while let line = try? client.readLineOrEOF(timeout: .seconds(60)), let request = try? JSONParser.parse(line) {
                    guard let id = request["id"] else { continue }
                    let method = request["method"]?.stringValue ?? ""
                    var reply: JSONObject = ["jsonrpc": "2.0", "id": id]
                    if let answer = replies[method]?.objectValue {
                        for (key, value) in answer { reply[key] = value }
                    } else {
                        reply["error"] = ["code": -32601, "message": .string("method not found: '\(method)'"), "data": ["reason": "method_not_found"]]
                    }
                    try? client.sendLine(JSONSerializer.serializeToString(.object(reply)))
                }
                client.close()
            }
        }
    }

    /// Stops serving and removes the folder.
    func stop() {
        stopping.withLock { $0 = true }
        thread?.join()
        try? listener.close()
        folder.remove()
    }
}
