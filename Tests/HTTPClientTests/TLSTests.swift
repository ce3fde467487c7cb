import HTTPClient
import Posix
import Testing
import TestSupport

/// An HTTPS server (Python's ssl module) with a self-signed certificate made
/// by openssl for 127.0.0.1: what a service with a certificate that fails
/// verification looks like.
final class SelfSignedServer: @unchecked Sendable {
    let folder: TemporaryDirectory
    let child: ChildProcess
    let url: String
    var certificate: String { folder.file("cert.pem") }

    /// Blocking: call in `offPool`.
    init() throws {
        folder = try TemporaryDirectory()
        let made = try runProcess("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", folder.file("key.pem"), "-out", folder.file("cert.pem"),
        ], timeout: TestTime.scaled(.seconds(60)))
        guard made.status == 0 else { throw TestFailure("openssl failed: \(made.standardError)") }
        let script = """
            import http.server, ssl, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = b"secure"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(
            executable: "/usr/bin/env",
            arguments: ["python3", "-c", script, folder.file("cert.pem"), folder.file("key.pem")]
        )
        options.standardOutput = .descriptor(output.write)
        options.standardError = .null
        child = try ChildProcess.spawn(options)
        try output.write.close()
        let line = try LineClient(descriptor: output.read).readLine()
        guard let port = UInt16(line) else {
            child.send(.kill)
            _ = try? child.wait()
            throw TestFailure("the HTTPS server did not announce a port: '\(line)'")
        }
        url = "https://127.0.0.1:\(port)/"
    }

    func stop() {
        child.send(.kill)
        _ = try? child.wait()
        folder.remove()
    }
}

@Suite struct TLSTests {
    @Test func verificationRefusesAnUnknownCertificateUnlessTrustedOrTurnedOff() async throws {
        let server = try await offPool { try SelfSignedServer() }
        defer { server.stop() }
        let request = HTTPClientRequest(url: server.url, timeouts: .init(total: .seconds(20)))

        #expect(await failureKind(try HTTPClient(), request) == .tls, "the system's trust store does not know it")

        let trusting = try HTTPClient(tls: .init(caFile: server.certificate))
        #expect(try await trusting.perform(request).body == Array("secure".utf8), "a CA file that holds it")

        let insecure = try HTTPClient(tls: .init(verify: false))
        #expect(try await insecure.perform(request).status == 200, "verification off")
    }
}
