import HTTPServer
import Posix

/// One emulated API's request handling: what the server around it
/// (`ServedEmulator`) forwards to.
package protocol EmulatedAPI: Sendable {
    func handle(_ request: HTTPRequest) async -> HTTPReply
    /// Requests answered so far: endpoint -> status -> count (0: reset).
    var statistics: [String: [Int: Int]] { get }
    /// The faults in force.
    var faults: FaultPlan { get nonmutating set }
    /// Where it is served, for the URLs it hands out.
    func setBaseURL(_ url: String)
}

extension EmulatedAPI {
    /// For an API whose answers name no URL of its own.
    package func setBaseURL(_ url: String) {}
}

/// An emulator: an `EmulatedAPI` served over HTTP on a port. Each kind
/// (VisionCraft's, AUTOMATIC1111's, OpenAI's, ComfyUI's) is one, with its
/// own configuration; what they share is here, written once.
package protocol ServedEmulator: Sendable {
    /// The server it answers on.
    var http: HTTPServer { get }
    /// What answers.
    var api: any EmulatedAPI { get }
}

extension ServedEmulator {
    /// `http://HOST:PORT`.
    package var baseURL: String { http.baseURL }
    package var port: UInt16 { http.port }

    /// Serves (the port was bound at init).
    package func start() throws(SystemError) {
        try http.start()
    }

    package func stop() {
        http.stop()
    }

    /// Requests answered so far: endpoint -> status -> count (0: reset).
    package var statistics: [String: [Int: Int]] { api.statistics }

    /// The faults in force.
    package var faults: FaultPlan {
        get { api.faults }
        nonmutating set { api.faults = newValue }
    }

    /// Binds `host:port` for `api`, bodies up to `maximumBodyBytes` (nil:
    /// the HTTP server's default), and tells `api` its URL.
    static func serve(_ api: any EmulatedAPI, host: String, port: UInt16, maximumBodyBytes: Int? = nil) throws(SystemError) -> HTTPServer {
        let limits = maximumBodyBytes.map { HTTPRequestParser.Limits(maximumBodyBytes: $0) } ?? HTTPRequestParser.Limits()
        let server = try HTTPServer(configuration: .init(host: host, port: port, limits: limits)) { request in
            await api.handle(request)
        }
        api.setBaseURL(server.baseURL)
        return server
    }
}
