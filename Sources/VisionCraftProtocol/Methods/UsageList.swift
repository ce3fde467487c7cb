import JSON
import JSONRPC

/// `usage.list`: what each backend made, per local day, newest first: the
/// generations it answered, the images they made and the time they took.
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
        package var seconds: Double

        package init(day: String, backend: String, requests: Int, images: Int, seconds: Double) {
            self.day = day
            self.backend = backend
            self.requests = requests
            self.images = images
            self.seconds = seconds
        }
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
                days.append(Day(
                    day: try day.required("day", try day.string("day")), backend: try day.required("backend", try day.string("backend")),
                    requests: try day.required("requests", try day.integer("requests", in: 0...Int.max)),
                    images: try day.required("images", try day.integer("images", in: 0...Int.max)),
                    seconds: try day.required("seconds", try day.number("seconds", in: 0...Double.greatestFiniteMagnitude))
                ))
            }
            self.days = days
        }

        package var result: JSON {
            [
                "days": .array(days.map { day in
                    [
                        "day": .string(day.day), "backend": .string(day.backend), "requests": .number(JSONNumber(day.requests)),
                        "images": .number(JSONNumber(day.images)), "seconds": .number(JSONNumber(day.seconds) ?? JSONNumber(0)),
                    ]
                }),
            ]
        }
    }
}
