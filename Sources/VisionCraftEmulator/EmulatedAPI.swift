import HTTPServer
import JSON
import Posix

/// One emulated API's request handling: what the server around it
/// (`ServedEmulator`) forwards to.
package protocol EmulatedAPI: Sendable {
    func handle(_ request: HTTPRequest) async -> HTTPReply
    /// Requests answered so far: endpoint -> status -> count (0: reset).
    var statistics: [String: [Int: Int]] { get }
    /// Where it is served, for the URLs it hands out.
    func setBaseURL(_ url: String)
    /// Runs `change` on the fault plan in force, under the API's lock (a
    /// `POST /_emulator/faults` is one read and one write).
    func withFaults<T>(_ change: (inout FaultPlan) -> T) -> T
    /// What `GET /_emulator/stats` says besides the requests counted.
    var statisticsBeyondRequests: JSONObject { get }
    /// `POST /_emulator/reset`: the state it started in (what is in flight
    /// finishes into it).
    func reset()
    /// An `/_emulator/` route of its own (`POST /_emulator/revoke`); nil
    /// for any other request.
    func administerOwn(_ request: HTTPRequest) -> HTTPResponse?
    /// Its own routes, for the unknown-endpoint answer.
    var ownAdministrationRoutes: [String] { get }
}

extension EmulatedAPI {
    /// For an API whose answers name no URL of its own.
    package func setBaseURL(_ url: String) {}

    package func administerOwn(_ request: HTTPRequest) -> HTTPResponse? { nil }

    package var ownAdministrationRoutes: [String] { [] }

    package var statisticsBeyondRequests: JSONObject { [:] }

    /// The faults in force.
    package var faults: FaultPlan {
        get { withFaults { $0 } }
        nonmutating set { withFaults { $0 = newValue } }
    }

    /// The `/_emulator/...` routes every emulator answers: the fault plan
    /// (`GET`, and `POST` with changes), `GET /_emulator/stats`, `POST
    /// /_emulator/reset`, and the API's own.
    func administer(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/_emulator/faults"):
            return .json(faults.json)
        case ("POST", "/_emulator/faults"):
            let result = withFaults { plan in
                EmulatorAdministration.updating(plan, with: request.body).map { updated in
                    plan = updated
                    return updated
                }
            }
            switch result {
            case .success(let plan): return .json(plan.json)
            case .failure(let error): return EmulatorAdministration.refusal(error)
            }
        case ("GET", "/_emulator/stats"):
            var stats = EmulatorAdministration.requests(statistics)
            for (key, value) in statisticsBeyondRequests { stats[key] = value }
            return .json(.object(stats))
        case ("POST", "/_emulator/reset"):
            reset()
            return .json(["reset": true])
        default:
            if let answer = administerOwn(request) { return answer }
            let routes = ["GET/POST /_emulator/faults", "GET /_emulator/stats"] + ownAdministrationRoutes + ["POST /_emulator/reset"]
            return .json(["error": .string("unknown emulator endpoint (\(routes.joined(separator: ", ")))")], status: .notFound)
        }
    }
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
