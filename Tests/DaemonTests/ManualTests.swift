import CommandLineKit
import Configuration
import Daemon
import Testing
import TestSupport

@Suite struct DaemonManualTests {
    @Test func everyDaemonOptionIsInTheManual() throws {
        let documented = try ManualPage("visioncraftd.8").longOptions
        for option in VisionCraftDaemonCommand.configuration.options {
            #expect(documented.contains(option.long), "man/visioncraftd.8 lacks --\(option.long)")
        }
        #expect(documented.isSuperset(of: ["version", "help"]))
    }
}

/// The flags that set configuration keys come from the settings table; the
/// manual's entry for each says which key, its range and its default.
@Suite struct SettingFlagManualTests {
    /// The text of each `.It Fl \-NAME` entry, up to the next item.
    func entries() throws -> [String: String] {
        try ManualPage("visioncraftd.8").entries { item, _ in
            item.hasPrefix(".It Fl \\-") ? String(item.dropFirst(9).prefix { $0 != " " }) : nil
        }
    }

    @Test func eachSettingFlagNamesItsKeyRangeAndDefault() throws {
        let entries = try entries()
        for key in Settings.keys {
            for flag in key.flags {
                let entry = try #require(entries[flag.name], "man/visioncraftd.8 has no entry for --\(flag.name)")
                #expect(entry.contains(key.name), "--\(flag.name): the manual does not say it sets \(key.name)")
                if !key.kind.rangeText.isEmpty {
                    #expect(entry.contains(String(key.kind.rangeText.dropFirst(2))), "--\(flag.name): the manual lacks the range\(key.kind.rangeText)")
                }
                if flag.valueName != nil, key.defaultText.allSatisfy({ $0.isNumber || $0 == "." }) {
                    #expect(entry.contains("default \(key.defaultText)") || entry.contains("Default: \(key.defaultText)"), "--\(flag.name): the manual lacks the default \(key.defaultText)")
                }
            }
        }
    }

    @Test func theHelpOfASettingFlagComesFromTheTable() throws {
        let options = VisionCraftDaemonCommand.configuration.options
        let maxInFlight = try #require(options.first { $0.long == "max-in-flight" })
        #expect(maxInFlight.help == "Upstream requests at once, 1 to 16; default 2 (queue.max_in_flight in the configuration file).")
        for key in Settings.keys {
            for flag in key.flags {
                #expect(options.filter { $0.long == flag.name }.count == 1, "--\(flag.name) is declared once, from the table")
            }
        }
    }
}
