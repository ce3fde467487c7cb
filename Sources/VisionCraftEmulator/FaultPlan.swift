import JSON

/// What the emulator does wrong on purpose, and how often. Rates are
/// probabilities from 0 to 1 drawn per request from one seeded generator, so
/// the same seed and the same sequence of requests give the same faults.
package struct FaultPlan: Sendable, Equatable {
    /// How requests are rate limited when a limit is set.
    package enum RateLimitStyle: String, Sendable, Equatable {
        /// 429 with a `Retry-After` header (what HTTP says).
        case tooManyRequests = "429"
        /// 403 whose message states the limit ("users can make N requests
        /// per M seconds"), as some versions of the service answered.
        case forbidden = "403"
    }

    /// A per-token limit on successful generations.
    package struct RateLimit: Sendable, Equatable {
        package var requests: Int
        package var seconds: Int

        package init(requests: Int, seconds: Int) {
            self.requests = requests
            self.seconds = seconds
        }
    }

    /// Added before every API answer, in milliseconds (a range draws uniformly).
    package var latency: ClosedRange<Int> = 0...0
    /// Answer generations with 500, 502 or 503.
    package var serverErrorRate = 0.0
    /// Answer generations with 429 and `Retry-After: retryAfterSeconds`.
    package var tooManyRequestsRate = 0.0
    package var retryAfterSeconds = 1
    /// Reset the connection instead of answering (generations and downloads).
    package var resetRate = 0.0
    /// Answer a generation with 200 and a body that is not what the docs promise.
    package var malformedRate = 0.0
    /// Send only half of an image, then close.
    package var truncatedDownloadRate = 0.0
    /// Send an image slowly (16 KiB every 50 ms).
    package var slowDownloadRate = 0.0
    /// Send an image whole (status, length, signature and header intact)
    /// with bytes of its image data damaged: its CRC fails, it does not decode.
    package var corruptDownloadRate = 0.0
    /// Send a decompression bomb instead of the image: a PNG of
    /// `bombSide` x `bombSide` pixels of one grey, about 63 KB for 8192
    /// (256 MiB once decoded to RGBA).
    package var bombDownloadRate = 0.0
    package var bombSide = 8192
    package var rateLimit: RateLimit?
    package var rateLimitStyle = RateLimitStyle.tooManyRequests

    package init() {}

    /// The plan as JSON (what `GET /_emulator/faults` shows).
    package var json: JSON {
        var object: JSONObject = [
            "latency_ms": [.number(JSONNumber(latency.lowerBound)), .number(JSONNumber(latency.upperBound))],
            "server_error_rate": .number(JSONNumber(serverErrorRate)!),
            "too_many_requests_rate": .number(JSONNumber(tooManyRequestsRate)!),
            "retry_after_seconds": .number(JSONNumber(retryAfterSeconds)),
            "reset_rate": .number(JSONNumber(resetRate)!),
            "malformed_rate": .number(JSONNumber(malformedRate)!),
            "truncated_download_rate": .number(JSONNumber(truncatedDownloadRate)!),
            "slow_download_rate": .number(JSONNumber(slowDownloadRate)!),
            "corrupt_download_rate": .number(JSONNumber(corruptDownloadRate)!),
            "bomb_download_rate": .number(JSONNumber(bombDownloadRate)!),
            "bomb_side": .number(JSONNumber(bombSide)),
            "rate_limit_style": .string(rateLimitStyle.rawValue),
        ]
        if let rateLimit {
            object["rate_limit"] = ["requests": .number(JSONNumber(rateLimit.requests)), "seconds": .number(JSONNumber(rateLimit.seconds))]
        } else {
            object["rate_limit"] = .null
        }
        return .object(object)
    }

    /// Applies the fields present in `changes` (what `POST /_emulator/faults`
    /// takes); any other field, or a value out of range, is an error.
    package func updated(with changes: JSON) throws(FaultPlanError) -> FaultPlan {
        guard case .object(let object) = changes else { throw FaultPlanError("expected a JSON object of fault settings") }
        var plan = self
        for (key, value) in object {
            switch key {
            case "latency_ms":
                if let single = value.intValue, single >= 0 {
                    plan.latency = single...single
                } else if let pair = value.arrayValue, pair.count == 2, let low = pair[0].intValue, let high = pair[1].intValue, 0 <= low, low <= high {
                    plan.latency = low...high
                } else {
                    throw FaultPlanError("latency_ms: expected milliseconds or [min, max], got \(value)")
                }
            case "server_error_rate": plan.serverErrorRate = try Self.rate(key, value)
            case "too_many_requests_rate": plan.tooManyRequestsRate = try Self.rate(key, value)
            case "reset_rate": plan.resetRate = try Self.rate(key, value)
            case "malformed_rate": plan.malformedRate = try Self.rate(key, value)
            case "truncated_download_rate": plan.truncatedDownloadRate = try Self.rate(key, value)
            case "slow_download_rate": plan.slowDownloadRate = try Self.rate(key, value)
            case "corrupt_download_rate": plan.corruptDownloadRate = try Self.rate(key, value)
            case "bomb_download_rate": plan.bombDownloadRate = try Self.rate(key, value)
            case "bomb_side":
                guard let side = value.intValue, (1...Self.maximumBombSide).contains(side) else {
                    throw FaultPlanError("bomb_side: expected 1 to \(Self.maximumBombSide) pixels, got \(value)")
                }
                plan.bombSide = side
            case "retry_after_seconds":
                guard let seconds = value.intValue, (0...3600).contains(seconds) else {
                    throw FaultPlanError("retry_after_seconds: expected 0 to 3600, got \(value)")
                }
                plan.retryAfterSeconds = seconds
            case "rate_limit":
                if value == .null {
                    plan.rateLimit = nil
                } else if let requests = value["requests"]?.intValue, let seconds = value["seconds"]?.intValue, requests >= 1, seconds >= 1 {
                    plan.rateLimit = RateLimit(requests: requests, seconds: seconds)
                } else {
                    throw FaultPlanError("rate_limit: expected {\"requests\": N, \"seconds\": M} with N, M >= 1, or null")
                }
            case "rate_limit_style":
                guard let text = value.stringValue, let style = RateLimitStyle(rawValue: text) else {
                    throw FaultPlanError("rate_limit_style: expected \"429\" or \"403\", got \(value)")
                }
                plan.rateLimitStyle = style
            default:
                throw FaultPlanError("unknown fault setting '\(key)' (GET /_emulator/faults lists them)")
            }
        }
        guard plan.serverErrorRate + plan.tooManyRequestsRate + plan.resetRate + plan.malformedRate <= 1 else {
            throw FaultPlanError("server_error_rate, too_many_requests_rate, reset_rate and malformed_rate add up to more than 1")
        }
        let downloadRates = plan.truncatedDownloadRate + plan.slowDownloadRate + plan.corruptDownloadRate + plan.bombDownloadRate + plan.resetRate
        guard downloadRates <= 1 else {
            throw FaultPlanError(
                "truncated_download_rate, slow_download_rate, corrupt_download_rate, bomb_download_rate and reset_rate add up to more than 1"
            )
        }
        return plan
    }

    /// The largest bomb: a PNG side is at most 2^31 - 1, but past 65536 the
    /// emulator itself would spend seconds deflating it.
    static let maximumBombSide = 65536

    private static func rate(_ key: String, _ value: JSON) throws(FaultPlanError) -> Double {
        guard let rate = value.doubleValue, (0...1).contains(rate) else {
            throw FaultPlanError("\(key): expected a probability from 0 to 1, got \(value)")
        }
        return rate
    }
}

/// A fault setting that makes no sense.
package struct FaultPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
