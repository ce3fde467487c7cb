import Benchmarks
import HTTPServer
import Posix
import Testing
import TestSupport

/// The load generator against a real server: GETs, and bodies larger than
/// its 64 KiB buffer (the emulator's images), read without errors.
@Suite struct LoadGeneratorTests {
    @Test func getsLargeBodiesOverKeepAlive() async throws {
        let big = [UInt8](repeating: 0x42, count: 300_000)
        let server = try HTTPServer { request in
            request.path == "/big" ? .response(HTTPResponse(status: .ok, body: big)) : .response(.text("no", status: .notFound))
        }
        try server.start()
        defer { server.stop() }
        let loadgen = LoadGenerator(executable: try BuiltProducts.path("visioncraft-loadgen"), duration: .milliseconds(300), warmup: .milliseconds(50))
        let result = try await offPool { try loadgen.run(.httpGet(port: server.port, path: "/big"), connections: 2) }
        #expect(result.requests > 0)
        #expect(result.errors == 0)
        await #expect(throws: BenchmarkError.self, "a 404 counts as an error") {
            _ = try await offPool { try loadgen.run(.httpGet(port: server.port, path: "/missing"), connections: 1) }
        }
    }
}
