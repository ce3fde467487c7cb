@testable import Benchmarks
import Posix
import Testing
import TestSupport

/// The load generator against a real server in another process (Python's, as
/// the upstream benchmark runs it): GETs, and bodies larger than its 64 KiB
/// buffer (the emulator's images), read without errors.
@Suite struct LoadGeneratorTests {
    @Test func getsLargeBodiesOverKeepAlive() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("body"), [UInt8](repeating: 0x42, count: 200_000))
        let loadgen = LoadGenerator(executable: try BuiltProducts.path("visioncraft-loadgen"), duration: .milliseconds(500), warmup: .zero)
        let result = try await offPool {
            let (server, port) = try AnnouncingProcess.start(
                name: "python3", executable: "/usr/bin/env", arguments: ["python3", "-c", UpstreamBenchmark.pythonServer, folder.file("body")]
            )
            defer { server.stop() }
            return try loadgen.run(.httpGet(port: port, path: "/image.png"), connections: 2)
        }
        #expect(result.requests > 0)
        #expect(result.errors == 0)
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let closed = refusing.port
        await #expect(throws: BenchmarkError.self, "an unreachable server is an error") {
            _ = try await offPool { try loadgen.run(.httpGet(port: closed, path: "/"), connections: 1) }
        }
    }
}
