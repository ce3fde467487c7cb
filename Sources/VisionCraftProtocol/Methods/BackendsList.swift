import JSON
import JSONRPC

/// `backends.list`: every backend the daemon runs jobs on, in the
/// configuration's order, with its queue and how it has been doing.
package enum BackendsList: RPCMethod {
    package static let name = "backends.list"
    package typealias Parameters = NoParameters

    /// One backend.
    package struct Backend: Sendable, Equatable {
        /// The name jobs give it (`--backend`).
        package var name: String
        /// visioncraft, a1111.
        package var kind: String
        package var url: String
        /// True when it is the emulator embedded in the daemon.
        package var emulator: Bool
        /// Where jobs that name no backend go.
        package var isDefault: Bool
        /// `set`, `missing` or `rejected` for a backend that needs the key;
        /// `not_needed` for one that takes none.
        package var key: String
        /// Its jobs waiting, and running now.
        package var queued: Int
        package var running: Int
        /// Its limits: jobs at once, generations started per minute (0: none).
        package var maxInFlight: Int
        package var requestsPerMinute: Int
        /// The images it made today (local time), and its daily cap (nil: none).
        package var imagesToday: Int
        package var dailyImages: Int?
        package var monthlyImages: Int?
        package var health: DaemonStatus.Health

        package init(
            name: String, kind: String, url: String, emulator: Bool, isDefault: Bool, key: String, queued: Int, running: Int, maxInFlight: Int,
            requestsPerMinute: Int, imagesToday: Int, dailyImages: Int?, monthlyImages: Int?, health: DaemonStatus.Health
        ) {
            self.name = name
            self.kind = kind
            self.url = url
            self.emulator = emulator
            self.isDefault = isDefault
            self.key = key
            self.queued = queued
            self.running = running
            self.maxInFlight = maxInFlight
            self.requestsPerMinute = requestsPerMinute
            self.imagesToday = imagesToday
            self.dailyImages = dailyImages
            self.monthlyImages = monthlyImages
            self.health = health
        }

        var json: JSON {
            [
                "name": .string(name), "kind": .string(kind), "url": .string(url), "emulator": .bool(emulator), "default": .bool(isDefault),
                "key": .string(key), "queued": .number(JSONNumber(queued)), "running": .number(JSONNumber(running)),
                "max_in_flight": .number(JSONNumber(maxInFlight)), "requests_per_minute": .number(JSONNumber(requestsPerMinute)),
                "images_today": .number(JSONNumber(imagesToday)), "daily_images": dailyImages.map { .number(JSONNumber($0)) } ?? .null,
                "monthly_images": monthlyImages.map { .number(JSONNumber($0)) } ?? .null,
                "health": health.json,
            ]
        }

        init(json: JSON, path: String) throws(FieldError) {
            var reader = try FieldReader(json, path: path)
            name = try reader.required("name", try reader.string("name"))
            kind = try reader.required("kind", try reader.string("kind"))
            url = try reader.required("url", try reader.string("url"))
            emulator = try reader.required("emulator", try reader.boolean("emulator"))
            isDefault = try reader.required("default", try reader.boolean("default"))
            key = try reader.required("key", try reader.string("key"))
            queued = try reader.required("queued", try reader.integer("queued", in: 0...Int.max))
            running = try reader.required("running", try reader.integer("running", in: 0...Int.max))
            maxInFlight = try reader.required("max_in_flight", try reader.integer("max_in_flight", in: 1...Int.max))
            requestsPerMinute = try reader.required("requests_per_minute", try reader.integer("requests_per_minute", in: 0...Int.max))
            imagesToday = try reader.required("images_today", try reader.integer("images_today", in: 0...Int.max))
            dailyImages = try reader.integer("daily_images", in: 1...Int.max)
            monthlyImages = try reader.integer("monthly_images", in: 1...Int.max)
            guard let health = reader.value("health") else { throw FieldError(field: "\(path).health", detail: "is required") }
            self.health = try DaemonStatus.Health(json: health)
        }
    }

    package struct Result: RPCResult, Equatable {
        package var backends: [Backend]

        package init(backends: [Backend]) {
            self.backends = backends
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            guard case .array(let entries)? = reader.value("backends") else { throw FieldError(field: "result.backends", detail: "expected an array") }
            var backends: [Backend] = []
            for (index, entry) in entries.enumerated() {
                backends.append(try Backend(json: entry, path: "result.backends[\(index)]"))
            }
            self.backends = backends
        }

        package var result: JSON { ["backends": .array(backends.map(\.json))] }
    }
}
