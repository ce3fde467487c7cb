import Configuration
import VisionCraftAPI

/// Which upstream the daemon talks to: a VisionCraft service at a base URL,
/// or the emulator embedded in the daemon.
///
/// Resolved from `--upstream` (or `--emulator`), else `VISIONCRAFT_UPSTREAM`,
/// else `upstream.url` in the configuration file, else the documented host. The word `emulator` in either place selects the
/// embedded emulator.
package enum UpstreamSelection: Sendable, Equatable, CustomStringConvertible {
    case service(baseURL: String)
    case emulator

    /// The value that selects the embedded emulator.
    package static let emulatorName = "emulator"
    /// The environment variable read when there is no flag.
    package static let environmentVariable = Settings.upstreamEnvironment

    /// Parses one value, `source` naming where it came from for the message.
    package init(parsing value: String, source: String) throws(UpstreamSelectionError) {
        if value == Self.emulatorName {
            self = .emulator
            return
        }
        let lowered = value.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) else {
            throw UpstreamSelectionError("\(source) '\(value)': expected an http:// or https:// URL, or '\(Self.emulatorName)'")
        }
        let rest = value.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.hasPrefix(":") else {
            throw UpstreamSelectionError("\(source) '\(value)': the URL has no host")
        }
        guard !value.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else {
            throw UpstreamSelectionError("\(source) '\(value)': a URL cannot contain spaces")
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw UpstreamSelectionError("\(source) '\(value)': give the base URL only, without a query or fragment")
        }
        var base = value
        while base.hasSuffix("/") { base.removeLast() }
        self = .service(baseURL: base)
    }

    /// The flag's value if given, else the environment's, else the
    /// configuration file's (`upstream.url`), else the documented host.
    package static func resolve(
        flag: String?, configured: String? = nil, environment: (String) -> String?
    ) throws(UpstreamSelectionError) -> UpstreamSelection {
        if let flag {
            return try UpstreamSelection(parsing: flag, source: "--upstream")
        }
        if let value = environment(environmentVariable), !value.isEmpty {
            return try UpstreamSelection(parsing: value, source: environmentVariable)
        }
        if let configured {
            return try UpstreamSelection(parsing: configured, source: "upstream.url")
        }
        return .service(baseURL: VisionCraftClient.Configuration.documentedBaseURL)
    }

    package var description: String {
        switch self {
        case .service(let url): url
        case .emulator: "the embedded emulator"
        }
    }
}

/// A wrong upstream setting, with the value and what is expected.
package struct UpstreamSelectionError: Error, Sendable, Equatable, CustomStringConvertible {
    package let description: String

    init(_ description: String) {
        self.description = description
    }
}
