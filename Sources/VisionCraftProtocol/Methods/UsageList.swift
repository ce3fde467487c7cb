import Jobs
import JSON
import JSONRPC

/// `usage.list`: what each backend made, per local day, newest first: the
/// generations it answered, the images they made, the time they took and
/// the tokens they were billed in, where the backend reported them.
package enum UsageList: RPCMethod {
    package static let name = "usage.list"

    package struct Parameters: RPCParameters, Equatable {
        /// One backend's; nil: every backend's.
        package var backend: String?
        /// The days counted back from today, today included.
        package var days: Int

        /// The most days a listing covers, and what it covers when it does not say.
        package static let daysRange = 1...3660
        package static let defaultDays = 30

        package init(backend: String? = nil, days: Int = defaultDays) {
            self.backend = backend
            self.days = days
        }

        package init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                backend = try reader.string("backend", nonEmpty: true)
                days = try reader.integer("days", in: Self.daysRange) ?? Self.defaultDays
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        package var params: JSON? {
            var object: JSONObject = ["days": .number(JSONNumber(days))]
            if let backend { object["backend"] = .string(backend) }
            return .object(object)
        }
    }

    /// One backend on one day.
    package struct Day: Sendable, Equatable {
        /// The local date: YYYY-MM-DD.
        package var day: String
        package var backend: String
        package var requests: Int
        package var images: Int
        /// The time the generations took: each as its backend reported it
        /// where it does (ComfyUI's execution time), else as the daemon
        /// measured the call.
        package var seconds: Double
        /// The tokens the generations that reported any were billed in
        /// (`input_tokens`, `output_tokens`, `total_tokens` on the wire,
        /// each absent when no generation reported it); nil: none did.
        package var tokens: TokenCounts?

        package init(day: String, backend: String, requests: Int, images: Int, seconds: Double, tokens: TokenCounts? = nil) {
            self.day = day
            self.backend = backend
            self.requests = requests
            self.images = images
            self.seconds = seconds
            self.tokens = tokens
        }

        /// The wire names of the token counts, in the order OpenAI's `usage` has them.
        static let tokenFields: [(name: String, count: WritableKeyPath<TokenCounts, Int?> & Sendable)] = [
            ("input_tokens", \.input), ("output_tokens", \.output), ("total_tokens", \.total),
        ]
    }

    package struct Result: RPCResult, Equatable {
        package var days: [Day]

        package init(days: [Day]) {
            self.days = days
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            guard case .array(let entries)? = reader.value("days") else { throw FieldError(field: "result.days", detail: "expected an array") }
            var days: [Day] = []
            for (index, entry) in entries.enumerated() {
                var day = try FieldReader(entry, path: "result.days[\(index)]")
                var tokens = TokenCounts()
                for (name, count) in Day.tokenFields { tokens[keyPath: count] = try day.integer(name, in: 0...Int.max) }
                days.append(Day(
                    day: try day.required("day", try day.string("day")), backend: try day.required("backend", try day.string("backend")),
                    requests: try day.required("requests", try day.integer("requests", in: 0...Int.max)),
                    images: try day.required("images", try day.integer("images", in: 0...Int.max)),
                    seconds: try day.required("seconds", try day.number("seconds", in: 0...Double.greatestFiniteMagnitude)),
                    tokens: TokenCounts(reported: tokens.input, output: tokens.output, total: tokens.total)
                ))
            }
            self.days = days
        }

        package var result: JSON {
            [
                "days": .array(days.map { day in
                    var object: JSONObject = [
                        "day": .string(day.day), "backend": .string(day.backend), "requests": .number(JSONNumber(day.requests)),
                        "images": .number(JSONNumber(day.images)), "seconds": .number(JSONNumber(day.seconds) ?? JSONNumber(0)),
                    ]
                    for (name, count) in Day.tokenFields {
                        if let value = day.tokens?[keyPath: count] { object[name] = .number(JSONNumber(value)) }
                    }
                    return .object(object)
                }),
            ]
        }
    }
}
