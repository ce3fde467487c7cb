import Client
import CommandLineKit
import Configuration
import JSONRPC
import NameMatching
import VisionCraftProtocol

/// `vcctl config set` for the keys whose value is a name from the
/// upstream's lists: checked as the daemon checks a job's name at submit
/// (`Suggestions.match`), when a daemon answers.
extension ConfigCommand.Set {
    /// The keys checked, the list each names, and what `vcctl` lists it.
    /// The keys checked (by their name in their section: `jobs.model`, and
    /// `backends.NAME.model` against that backend's list), the list each
    /// names, and what `vcctl` lists it.
    static let catalogKeys: [(entry: String, kind: String, command: String, list: @Sendable (DaemonClient, String?) throws -> [String])] = [
        ("model", "model", "vcctl models", { try $0.call(ModelsList.self, CatalogListParameters(backend: $1)).names }),
        ("sampler", "sampler", "vcctl samplers", { try $0.call(SamplersList.self, CatalogListParameters(backend: $1)).names }),
    ]

    /// The backend whose list checks `key`: nil (the default one) for
    /// `jobs.*`, NAME for `backends.NAME.*`.
    static func checkingBackend(_ key: ConfigKey) -> String?? {
        if key.section == "jobs" { return .some(nil) }
        guard key.setting == nil, key.section.hasPrefix(BackendSettings.section + ".") else { return nil }
        return .some(String(key.section.dropFirst(BackendSettings.section.count + 1)))
    }

    /// `value` as it is to be written: for a key of `catalogKeys`, the
    /// name as the daemon's list spells it, quoted; otherwise as given.
    ///
    /// - Throws: a usage failure for a name the list does not have.
    func checkedValue(_ client: DaemonClient?, _ context: CommandContext) throws(CommandFailure) -> String {
        guard let backend = Self.checkingBackend(key), let checked = Self.catalogKeys.first(where: { $0.entry == key.entryName }),
            let name = Self.text(of: value), !name.isEmpty
        else { return value }
        func unchecked(_ why: String) -> String {
            context.stderr.write("\(key.name): '\(TerminalText.visible(name))' is written unchecked: \(why)\n")
            return value
        }
        guard let client else { return unchecked("no daemon answers to list the \(checked.kind)s (vcctl daemon start, then set it again to check it)") }
        let names: [String]
        do {
            names = try checked.list(client, backend)
        } catch {
            return unchecked("the daemon could not list the \(checked.kind)s (\(TerminalText.visible("\(error)")))")
        }
        let match = Suggestions.match(name, in: names)
        if let refusal = match.refusal(of: name, kind: checked.kind, listedBy: checked.command + (backend.map { " --backend \($0)" } ?? "")) {
            throw CommandFailure("\(key.name): \(TerminalText.visible(refusal))", exitCode: .usage)
        }
        guard case .found(let spelt) = match, spelt != name else { return value }
        return ConfigFile.quote(spelt)
    }

    /// The text a value gives: a TOML string, or bare text (which `run`
    /// quotes); nil for anything else (the file's own check refuses it).
    static func text(of value: String) -> String? {
        guard let parsed = try? ConfigFile(parsing: "value = \(value)").entry("value")?.value else {
            return isBare(value) ? value : nil
        }
        guard case .string(let text) = parsed else { return isBare(value) ? value : nil }
        return text
    }
}
