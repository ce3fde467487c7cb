import HTTPClient
import HTTPServer
import Posix
import Testing
import TestSupport

/// Redirects are followed to http and https only: a Location that names any
/// other scheme (ftp, file) ends the transfer with `.redirectRefused`, before
/// anything connects to where it points.
@Suite struct RedirectTests {
    /// A server whose paths redirect: to ftp on `ftpPort`, to a file, to itself.
    private func redirectingServer(ftpPort: UInt16) throws -> HTTPServer {
        let server = try HTTPServer { request in
            switch request.path {
            case "/ftp": return .response(HTTPResponse(status: HTTPStatus(code: 302, reason: "Found"), headers: [("Location", "ftp://127.0.0.1:\(ftpPort)/x")]))
            case "/file": return .response(HTTPResponse(status: HTTPStatus(code: 302, reason: "Found"), headers: [("Location", "file:///etc/passwd")]))
            case "/http": return .response(HTTPResponse(status: HTTPStatus(code: 302, reason: "Found"), headers: [("Location", "/hello")]))
            case "/hello": return .response(.text("hello"))
            default: return .response(.text("?", status: .notFound))
            }
        }
        try server.start()
        return server
    }

    @Test func redirectsToOtherSchemesAreRefused() async throws {
        let (ftp, ftpPort) = try TCPSocket.listen(port: 0)
        defer { try? ftp.close() }
        let server = try redirectingServer(ftpPort: ftpPort)
        defer { server.stop() }
        let client = try HTTPClient()
        for path in ["/ftp", "/file"] {
            do {
                let response = try await client.perform(HTTPClientRequest(url: server.baseURL + path, timeouts: .init(total: .seconds(30)), followRedirects: true))
                Issue.record("\(path): followed to a response: \(response.status) \(String(decoding: response.body.prefix(80), as: UTF8.self))")
            } catch {
                #expect(error.kind == .redirectRefused, "\(path): \(error.kind): \(error.message)")
                #expect(error.message.contains("redirect") && error.message.contains("http and https"), "\(path): \(error.message)")
            }
        }
        let attempted = try Poll.wait(for: ftp, events: .readable, timeout: .zero)
        #expect(!attempted, "something connected to the ftp port")
        let followed = try await client.perform(HTTPClientRequest(url: server.baseURL + "/http", followRedirects: true))
        #expect(followed.body == Array("hello".utf8), "http redirects are still followed")
    }

    @Test func requestsToOtherSchemesAreRefused() async throws {
        let client = try HTTPClient()
        #expect(await failureKind(client, HTTPClientRequest(url: "file:///etc/passwd")) == .invalidURL)
    }
}
