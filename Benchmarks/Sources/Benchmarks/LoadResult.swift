import JSON

/// What one run of `visioncraft-loadgen` measured (its one line of JSON).
public struct LoadResult: Sendable, Equatable {
    public var connections: Int
    public var durationSeconds: Double
    public var requests: Int
    public var errors: Int
    public var requestsPerSecond: Double
    public var p50Microseconds: Double
    public var p90Microseconds: Double
    public var p99Microseconds: Double
    public var maxMicroseconds: Double

    public init(
        connections: Int, durationSeconds: Double, requests: Int, errors: Int, requestsPerSecond: Double,
        p50Microseconds: Double, p90Microseconds: Double, p99Microseconds: Double, maxMicroseconds: Double
    ) {
        self.connections = connections
        self.durationSeconds = durationSeconds
        self.requests = requests
        self.errors = errors
        self.requestsPerSecond = requestsPerSecond
        self.p50Microseconds = p50Microseconds
        self.p90Microseconds = p90Microseconds
        self.p99Microseconds = p99Microseconds
        self.maxMicroseconds = maxMicroseconds
    }

    /// Reads the load generator's output line.
    public init(json: JSON) throws(BenchmarkError) {
        func number(_ key: String) throws(BenchmarkError) -> Double {
            guard let value = json[key]?.doubleValue else {
                throw BenchmarkError("the load generator's output lacks \"\(key)\": \(json)")
            }
            return value
        }
        connections = Int(try number("connections"))
        durationSeconds = try number("duration_s")
        requests = Int(try number("requests"))
        errors = Int(try number("errors"))
        requestsPerSecond = try number("rps")
        p50Microseconds = try number("p50_us")
        p90Microseconds = try number("p90_us")
        p99Microseconds = try number("p99_us")
        maxMicroseconds = try number("max_us")
    }
}

/// A benchmark that could not run, with what to do about it.
public struct BenchmarkError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
