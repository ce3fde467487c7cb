import HTTPServer
import Imaging
import JSON
import Posix
import Testing
import TestSupport
@testable import VisionCraftEmulator

/// An emulator with a fault plan given as JSON changes.
func emulator(faults changes: JSON, seed: UInt64 = 7) throws -> VisionCraftEmulator {
    try startEmulator(.init(seed: seed, faults: try FaultPlan().updated(with: changes)))
}

/// The status (0 for a reset or a closed connection) of one generation on a fresh connection.
func generationStatus(_ port: UInt16, token: String = "t") throws -> Int {
    let client = try RawHTTPClient(port: port)
    do {
        return try client.request("POST", "/generate", body: generateBody(["token": .string(token)])).status
    } catch {
        return 0
    }
}

/// A path of the first image of a fresh generation.
func imagePath(_ emulator: VisionCraftEmulator) throws -> String {
    let client = try RawHTTPClient(port: emulator.port)
    let response = try client.request("POST", "/generate", body: generateBody())
    guard let url = try json(response)["images"]?[0]?.stringValue else { throw TestFailure("no image in \(response.status)") }
    return String(url.dropFirst(emulator.baseURL.count))
}

@Suite struct FaultTests {
    @Test func serverErrorsAre500502Or503() async throws {
        let server = try emulator(faults: ["server_error_rate": 1])
        defer { server.stop() }
        let statuses = try await offPool { try (0..<12).map { _ in try generationStatus(server.port) } }
        #expect(Set(statuses).isSubset(of: [500, 502, 503]))
        #expect(Set(statuses).count > 1, "all three kinds appear: \(statuses)")
    }

    @Test func injected429sCarryRetryAfter() async throws {
        let server = try emulator(faults: ["too_many_requests_rate": 1, "retry_after_seconds": 7])
        defer { server.stop() }
        let response = try await offPool { try RawHTTPClient(port: server.port).request("POST", "/generate", body: generateBody()) }
        #expect(response.status == 429)
        #expect(response.header("retry-after") == "7")
    }

    @Test func resetsCloseWithoutAnAnswer() async throws {
        let server = try emulator(faults: ["reset_rate": 1])
        defer { server.stop() }
        #expect(try await offPool { try generationStatus(server.port) } == 0)
        #expect(server.statistics["/generate"]?[0] == 1)
    }

    @Test func malformedBodiesBreakThePromise() async throws {
        let server = try emulator(faults: ["malformed_rate": 1])
        defer { server.stop() }
        let responses = try await offPool { try (0..<12).map { _ in try RawHTTPClient(port: server.port).request("POST", "/generate", body: generateBody()) } }
        #expect(responses.allSatisfy { $0.status == 200 })
        for response in responses {
            let images = (try? JSONParser.parse(response.body))?["images"]?.arrayValue
            let good = images.map { !$0.isEmpty && $0.allSatisfy { $0.stringValue?.hasPrefix("http") == true } } ?? false
            #expect(!good, "a malformed body looked right: \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    @Test func truncatedDownloadsEndEarly() async throws {
        let server = try startEmulator()
        defer { server.stop() }
        let (announced, received) = try await offPool { () -> (Int, Int) in
            let path = try imagePath(server)
            server.faults = try FaultPlan().updated(with: ["truncated_download_rate": 1])
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            let raw = try client.connection.readToEndOfFile()
            let text = String(decoding: raw, as: UTF8.self)
            guard let lengthLine = text.split(separator: "\r\n").first(where: { $0.hasPrefix("Content-Length: ") }),
                let length = Int(lengthLine.dropFirst(16)), let headEnd = raw.firstRange(of: Array("\r\n\r\n".utf8))
            else { throw TestFailure("no head") }
            return (length, raw.count - headEnd.upperBound)
        }
        #expect(received > 0)
        #expect(received < announced)
    }

    @Test func slowDownloadsArriveWholeButSlowly() async throws {
        let server = try startEmulator()
        defer { server.stop() }
        let (status, elapsed, bytes) = try await offPool { () -> (Int, Duration, Int) in
            let path = try imagePath(server)
            server.faults = try FaultPlan().updated(with: ["slow_download_rate": 1])
            let started = MonotonicInstant.now()
            let response = try RawHTTPClient(port: server.port).request("GET", path)
            return (response.status, started.elapsed, response.body.count)
        }
        #expect(status == 200)
        let chunks = (bytes + 16383) / 16384
        #expect(elapsed >= .milliseconds(50 * chunks - 10), "\(bytes) bytes in \(elapsed)")
    }

    @Test func corruptDownloadsArriveWholeButDoNotDecode() async throws {
        let server = try startEmulator()
        defer { server.stop() }
        let (good, corrupt) = try await offPool { () -> (ReceivedResponse, ReceivedResponse) in
            let path = try imagePath(server)
            let good = try RawHTTPClient(port: server.port).request("GET", path)
            server.faults = try FaultPlan().updated(with: ["corrupt_download_rate": 1])
            return (good, try RawHTTPClient(port: server.port).request("GET", path))
        }
        #expect(good.status == 200 && corrupt.status == 200)
        #expect(corrupt.body.count == good.body.count && corrupt.body != good.body, "the same length, other bytes")
        #expect(try PNGCodec.size(of: corrupt.body) == (512, 512), "signature and header intact")
        #expect(throws: ImagingError.self) { try PNGCodec.verify(corrupt.body) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(corrupt.body) }
        #expect(try PNGCodec.verify(good.body) == (512, 512))
    }

    @Test func bombsAreTinyFilesOfHugeImages() async throws {
        let server = try emulator(faults: ["bomb_download_rate": 1])
        defer { server.stop() }
        let (bomb, small) = try await offPool { () -> (ReceivedResponse, ReceivedResponse) in
            let path = try imagePath(server)
            let bomb = try RawHTTPClient(port: server.port).request("GET", path)
            server.faults = try FaultPlan().updated(with: ["bomb_download_rate": 1, "bomb_side": 300])
            return (bomb, try RawHTTPClient(port: server.port).request("GET", path))
        }
        #expect(bomb.status == 200)
        #expect(bomb.body.count < 70_000, "\(bomb.body.count) bytes")
        #expect(try PNGCodec.verify(bomb.body) == (8192, 8192))
        #expect(try PNGCodec.decode(small.body).image == RGBAImage(width: 300, height: 300, fill: (0, 0, 0, 255)))
    }

    /// A request past the grace but inside a 429's Retry-After counts as
    /// early; another token's does not.
    @Test func requestsInsideARetryAfterAreCountedAsEarly() async throws {
        let server = try emulator(faults: ["too_many_requests_rate": 1, "retry_after_seconds": 30])
        defer { server.stop() }
        let counts = try await offPool { () -> [Int] in
            var counts: [Int] = []
            #expect(try generationStatus(server.port) == 429)
            _ = try generationStatus(server.port, token: "another")
            counts.append(server.earlyRequests)
            // The passage of time itself is what is tested: past the grace.
            pauseBriefly(milliseconds: 300)
            _ = try generationStatus(server.port)
            counts.append(server.earlyRequests)
            return counts
        }
        #expect(counts == [0, 1])
        let stats = try await offPool { try RawHTTPClient(port: server.port).request("GET", "/_emulator/stats") }
        #expect(try JSONParser.parse(stats.body)["early_requests"]?.intValue == 1)
    }

    @Test func latencyDelaysAnswers() async throws {
        let server = try emulator(faults: ["latency_ms": 150])
        defer { server.stop() }
        let elapsed = try await offPool { () -> Duration in
            let started = MonotonicInstant.now()
            _ = try RawHTTPClient(port: server.port).request("GET", "/models")
            return started.elapsed
        }
        #expect(elapsed >= .milliseconds(150))
    }

    @Test func rateLimitsAnswer429WithTheWindowsRemainder() async throws {
        let server = try emulator(faults: ["rate_limit": ["requests": 2, "seconds": 60]])
        defer { server.stop() }
        let (statuses, retryAfter, otherToken) = try await offPool { () -> ([Int], String?, Int) in
            let client = try RawHTTPClient(port: server.port)
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<3 {
                let response = try client.request("POST", "/generate", body: generateBody())
                statuses.append(response.status)
                retryAfter = response.header("retry-after")
            }
            return (statuses, retryAfter, try generationStatus(server.port, token: "someone-else"))
        }
        #expect(statuses == [200, 200, 429])
        #expect(Int(retryAfter ?? "") != nil && (1...60).contains(Int(retryAfter!)!))
        #expect(otherToken == 200, "limits are per token")
    }

    @Test func rateLimitsCanAnswer403WithTheLimitInTheMessage() async throws {
        // A window long enough that the second request falls inside it even
        // in a sanitizer run.
        let window = 10 * Int(TestTime.scale)
        let server = try emulator(faults: ["rate_limit": ["requests": 1, "seconds": .number(JSONNumber(window))], "rate_limit_style": "403"])
        defer { server.stop() }
        let second = try await offPool { () -> ReceivedResponse in
            let client = try RawHTTPClient(port: server.port)
            _ = try client.request("POST", "/generate", body: generateBody())
            return try client.request("POST", "/generate", body: generateBody())
        }
        #expect(second.status == 403)
        #expect(second.header("retry-after") == nil)
        #expect(try json(second)["error"]?.stringValue == "Rate limit exceeded: users can make 1 requests per \(window) seconds")
    }

    @Test func revokedTokensAre403UntilReset() async throws {
        let server = try startEmulator()
        defer { server.stop() }
        let (revoke, refused, reset, again) = try await offPool { () -> (ReceivedResponse, ReceivedResponse, ReceivedResponse, Int) in
            let client = try RawHTTPClient(port: server.port)
            let revoke = try client.request("POST", "/_emulator/revoke", body: #"{"token":"t0k3n"}"#)
            let refused = try client.request("POST", "/generate", body: generateBody())
            let reset = try client.request("POST", "/_emulator/reset", body: "{}")
            return (revoke, refused, reset, try generationStatus(server.port, token: "t0k3n"))
        }
        #expect(try json(revoke)["revoked"] == ["t0k3n"])
        #expect(refused.status == 403)
        #expect(try json(refused)["detail"]?.stringValue?.contains("not active") == true)
        #expect(reset.status == 200)
        #expect(again == 200)
    }

    @Test func theSameSeedReproducesTheSameFaults() async throws {
        func sequence(seed: UInt64) async throws -> [Int] {
            let server = try emulator(faults: ["server_error_rate": 0.5], seed: seed)
            defer { server.stop() }
            return try await offPool {
                let client = try RawHTTPClient(port: server.port)
                return try (0..<24).map { _ in try client.request("POST", "/generate", body: generateBody()).status == 200 ? 1 : 0 }
            }
        }
        let first = try await sequence(seed: 42)
        #expect(try await sequence(seed: 42) == first)
        #expect(try await sequence(seed: 43) != first)
        #expect(first.contains(0) && first.contains(1))
    }

    @Test func theAdminEndpointChangesAndShowsFaults() async throws {
        let server = try startEmulator()
        defer { server.stop() }
        let (set, bad, unknown, stats) = try await offPool { () -> (ReceivedResponse, ReceivedResponse, ReceivedResponse, ReceivedResponse) in
            let client = try RawHTTPClient(port: server.port)
            let set = try client.request("POST", "/_emulator/faults", body: #"{"server_error_rate":0.25,"latency_ms":[5,10]}"#)
            let bad = try client.request("POST", "/_emulator/faults", body: #"{"server_error_rate":2}"#)
            let unknown = try client.request("POST", "/_emulator/faults", body: #"{"explode":true}"#)
            _ = try client.request("GET", "/models")
            return (set, bad, unknown, try client.request("GET", "/_emulator/stats"))
        }
        #expect(set.status == 200)
        #expect(try json(set)["server_error_rate"] == 0.25)
        #expect(try json(set)["latency_ms"] == [5, 10])
        #expect(bad.status == 400)
        #expect(try json(bad)["error"]?.stringValue?.contains("probability from 0 to 1") == true)
        #expect(unknown.status == 400)
        #expect(try json(stats)["requests"]?["/models"]?["200"] == 1)
        #expect(try json(stats)["total"] == 1, "administration is not counted")
    }
}

@Suite struct FaultPlanTests {
    @Test func jsonRoundTrips() throws {
        let plan = try FaultPlan().updated(with: [
            "latency_ms": [10, 20], "server_error_rate": 0.1, "too_many_requests_rate": 0.2, "retry_after_seconds": 3,
            "reset_rate": 0.05, "malformed_rate": 0.05, "truncated_download_rate": 0.1, "slow_download_rate": 0.1,
            "corrupt_download_rate": 0.2, "bomb_download_rate": 0.1, "bomb_side": 100,
            "rate_limit": ["requests": 5, "seconds": 60], "rate_limit_style": "403",
        ])
        #expect(try FaultPlan().updated(with: plan.json) == plan)
        #expect(plan.latency == 10...20)
        #expect(plan.rateLimit == .init(requests: 5, seconds: 60))
        #expect(try plan.updated(with: ["rate_limit": nil]).rateLimit == nil)
    }

    @Test(arguments: [
        ["latency_ms": -1] as JSON, ["latency_ms": [20, 10]], ["reset_rate": 1.5], ["retry_after_seconds": 4000],
        ["rate_limit": ["requests": 0, "seconds": 1]], ["rate_limit_style": "418"], ["server_error_rate": 0.6, "malformed_rate": 0.6],
        ["corrupt_download_rate": 0.6, "bomb_download_rate": 0.6], ["bomb_side": 0], ["bomb_side": 100_000],
        ["nonsense": 1], [1, 2],
    ])
    func nonsenseIsRefused(changes: JSON) {
        #expect(throws: FaultPlanError.self) { _ = try FaultPlan().updated(with: changes) }
    }

    @Test func theRateLimiterUsesFixedWindows() {
        var limiter = RateLimiter()
        let limit = FaultPlan.RateLimit(requests: 2, seconds: 10)
        #expect(limiter.admit("a", limit: limit, now: 0) == nil)
        #expect(limiter.admit("a", limit: limit, now: 1) == nil)
        #expect(limiter.admit("a", limit: limit, now: 4) == 6)
        #expect(limiter.admit("b", limit: limit, now: 4) == nil)
        #expect(limiter.admit("a", limit: limit, now: 10) == nil, "a new window")
    }
}
