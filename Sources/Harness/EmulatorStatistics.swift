import JSON
import Posix

/// What an emulator's `GET /_emulator/stats` says (the reliability
/// campaigns and the benchmarks read it): answers by endpoint and
/// status, and the requests that came inside a Retry-After.
public struct EmulatorStatistics: Sendable {
    /// Endpoint ("/generate", "/images", ...) -> status ("200", "429", "reset") -> count.
    public var requests: [String: [String: Int]] = [:]
    public var earlyRequests = 0

    /// All answers to `endpoint`, whatever their status.
    public func total(_ endpoint: String) -> Int { requests[endpoint]?.values.reduce(0, +) ?? 0 }

    /// Asks the emulator at `baseURL` (`http://127.0.0.1:PORT`) over a plain
    /// HTTP/1.1 connection that it closes after answering.
    public static func fetch(baseURL: String) throws -> EmulatorStatistics {
        guard let port = baseURL.split(separator: ":").last.flatMap({ UInt16($0.filter(\.isNumber)) }) else {
            throw HarnessError("no port in the emulator's URL \(baseURL)")
        }
        let connection = try TCPSocket.connect(port: port)
        defer { try? connection.close() }
        try connection.writeAll("GET /_emulator/stats HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n\r\n")
        let answer = String(decoding: try connection.readAll(limit: 1 << 20), as: UTF8.self)
        guard answer.hasPrefix("HTTP/1.1 200"), let split = answer.firstRange(of: "\r\n\r\n") else {
            throw HarnessError("the emulator's statistics did not come: \(answer.prefix(200))")
        }
        let json = try JSONParser.parse(String(answer[split.upperBound...]))
        var statistics = EmulatorStatistics()
        for (endpoint, statuses) in json["requests"]?.objectValue ?? [:] {
            var counts: [String: Int] = [:]
            for (status, count) in statuses.objectValue ?? [:] { counts[status] = count.intValue ?? 0 }
            statistics.requests[endpoint] = counts
        }
        statistics.earlyRequests = json["early_requests"]?.intValue ?? 0
        return statistics
    }
}
