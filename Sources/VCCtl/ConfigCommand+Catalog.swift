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
    static let catalogKeys: [(key: String, kind: String, command: String, list: @Sendable (DaemonClient) throws -> [String])] = [
        ("jobs.model", "model", "vcctl models", { try $0.call(ModelsList.self, CatalogListParameters()).names }),
        ("jobs.sampler", "sampler", "vcctl samplers", { try $0.call(SamplersList.self, CatalogListParameters()).names }),
    ]

    /// `value` as it is to be written: for a key of `catalogKeys`, the
    /// name as the daemon's list spells it, quoted; otherwise as given.
    ///
    /// - Throws: a usage failure for a name the list does not have.
    func checkedValue(_ client: DaemonClient?, _ context: CommandContext) throws(CommandFailure) -> String {
        guard let checked = Self.catalogKeys.first(where: { $0.key == key.name }), let name = Self.text(of: value), !name.isEmpty else { return value }
        func unchecked(_ why: String) -> String {
            context.stderr.write("\(key.name): '\(TerminalText.visible(name))' is written unchecked: \(why)\n")
            return value
        }
        guard let client else { return unchecked("no daemon answers to list the \(checked.kind)s (vcctl daemon start, then set it again to check it)") }
        let names: [String]
        do {
            names = try checked.list(client)
        } catch {
            return unchecked("the daemon could not list the \(checked.kind)s (\(TerminalText.visible("\(error)")))")
        }
        let match = Suggestions.match(name, in: names)
        if let refusal = match.refusal(of: name, kind: checked.kind, listedBy: checked.command) {
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
