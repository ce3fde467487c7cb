/// Renders a command's help: usage, abstract, discussion, arguments,
/// options, subcommands. Wrapped at 80 columns.
struct HelpFormatter {
    let path: [any Command.Type]
    let hasVersion: Bool
    let width = 80

    var commandNames: [String] { path.map { $0.name } }

    func render() -> String {
        let command = path.last!.configuration
        let ownOptions = command.options.filter { !$0.hidden }
        var inherited: [Option] = []
        for ancestor in path.dropLast() {
            inherited += ancestor.configuration.options.filter { $0.inherited && !$0.hidden }
        }
        let name = commandNames.joined(separator: " ")
        var usage = "Usage: \(name)"
        if !ownOptions.isEmpty || !inherited.isEmpty || path.count == 1 { usage += " [options]" }
        if command.isGroup { usage += command.arguments.isEmpty ? " COMMAND" : " [COMMAND]" }
        for argument in command.arguments { usage += " \(argument.synopsis)" }

        var sections: [String] = [usage, wrap(command.abstract, indent: 0)]
        if let discussion = command.discussion {
            sections.append(discussion.split(separator: "\n", omittingEmptySubsequences: false)
                .map { wrap(String($0), indent: 0) }.joined(separator: "\n"))
        }
        if !command.arguments.isEmpty {
            sections.append("Arguments:\n" + table(command.arguments.map { ($0.name, $0.help) }))
        }
        var optionRows = ownOptions.map { ($0.synopsis, $0.help) }
        if path.count == 1 || inherited.isEmpty {
            optionRows.append(("-h, --help", "Show this help."))
            if hasVersion, path.count == 1 { optionRows.append(("--version", "Show the version.")) }
        }
        if !optionRows.isEmpty {
            sections.append("Options:\n" + table(optionRows))
        }
        if !inherited.isEmpty {
            sections.append("Global options:\n" + table(inherited.map { ($0.synopsis, $0.help) } + [("-h, --help", "Show this help.")]))
        }
        if command.isGroup {
            let rows = command.subcommands.filter { !$0.configuration.hidden }.map { ($0.name, $0.configuration.abstract) }
            sections.append("Commands:\n" + table(rows))
            sections.append("Run '\(name) COMMAND --help' for a command's options.")
        }
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// Two columns: names padded to the widest (at most 26), help wrapped.
    private func table(_ rows: [(String, String)]) -> String {
        let column = min(26, (rows.map { $0.0.count }.max() ?? 0) + 2)
        return rows.map { left, right in
            let prefix = "  " + left
            let text = wrap(right, indent: column + 2)
            if prefix.count + 2 > column + 2 {
                return prefix + "\n" + text
            }
            let padded = prefix + String(repeating: " ", count: column + 2 - prefix.count)
            return padded + text.dropFirst(column + 2)
        }.joined(separator: "\n")
    }

    /// Wraps `text` to the width, every line indented by `indent` spaces.
    private func wrap(_ text: String, indent: Int) -> String {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, indent + line.count + 1 + word.count > width {
                lines.append(margin + line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        lines.append(margin + line)
        return lines.joined(separator: "\n")
    }
}
