import NameMatching

/// Parses a command line against a command tree.
///
/// Rules: `--name value`, `--name=value`, `-n value`, `-nVALUE`, combined
/// short flags `-ab`; `--` ends options; a lone `-` is positional (stdin);
/// a token like `-1` is a value or positional unless a short option `-1`
/// exists; the first positional of a group names its subcommand; inherited
/// options are valid anywhere below the command that declares them.
struct ArgumentParser {
    /// Where parsing got to: the command reached, for help and error hints.
    private(set) var path: [any Command.Type]
    private(set) var helpRequested = false
    private(set) var versionRequested = false

    init(root: any Command.Type) {
        path = [root]
    }

    var commandNames: [String] { path.map { $0.name } }

    /// Options valid for the command reached: its own and every inherited
    /// one of its ancestors.
    var validOptions: [Option] {
        var options = path.last!.configuration.options
        for ancestor in path.dropLast() {
            options += ancestor.configuration.options.filter(\.inherited)
        }
        return options
    }

    mutating func parse(_ tokens: [String]) throws(UsageError) -> ParsedArguments {
        var optionValues: [ParsedArguments.Entry] = []
        var flags: [String] = []
        var positionals: [String] = []
        var index = 0
        var optionsEnded = false

        func record(_ option: Option, value: String?) {
            if let value {
                if let index = optionValues.firstIndex(where: { $0.name == option.long }) {
                    if option.repeatable {
                        optionValues[index].values.append(value)
                    } else {
                        optionValues[index].values = [value]
                    }
                } else {
                    optionValues.append(ParsedArguments.Entry(name: option.long, values: [value]))
                }
            } else if !flags.contains(option.long) {
                flags.append(option.long)
            }
        }

        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if optionsEnded || token == "-" || token.utf8.first != UInt8(ascii: "-") || isNegativeNumber(token) {
                if !optionsEnded, positionals.isEmpty, let group = path.last?.configuration, group.isGroup {
                    if let sub = group.subcommands.first(where: { $0.name == token }) {
                        path.append(sub)
                        continue
                    }
                    // A group with arguments of its own runs itself when the
                    // first word names none of its commands (`vcctl history fox`).
                    if group.arguments.isEmpty {
                        let names = group.subcommands.filter { !$0.configuration.hidden }.map { $0.name }
                        var message = "unknown command '\(token)' for '\(commandNames.joined(separator: " "))'"
                        if let close = Suggestions.closest(to: token, in: names) { message += ". Did you mean '\(close)'?" }
                        throw UsageError(message, commandPath: commandNames)
                    }
                }
                positionals.append(token)
                continue
            }
            if token == "--" {
                optionsEnded = true
                continue
            }
            // Options are scanned as UTF-8 bytes, not Characters: a cold
            // start pays for every part of the standard library it touches.
            let utf8 = token.utf8
            if utf8.dropFirst().first == UInt8(ascii: "-") {
                let body = utf8.dropFirst(2)
                var name = String(decoding: body, as: UTF8.self)
                var inline: String?
                if let equals = body.firstIndex(of: UInt8(ascii: "=")) {
                    name = String(decoding: body[..<equals], as: UTF8.self)
                    inline = String(decoding: body[body.index(after: equals)...], as: UTF8.self)
                }
                if name == "help" {
                    helpRequested = true
                    continue
                }
                if name == "version" {
                    versionRequested = true
                    continue
                }
                guard let option = validOptions.first(where: { $0.long == name }) else {
                    throw unknownOption("--\(name)")
                }
                if option.isFlag {
                    if inline != nil { throw UsageError("option '--\(name)' takes no value", commandPath: commandNames) }
                    record(option, value: nil)
                } else if let inline {
                    record(option, value: inline)
                } else {
                    guard index < tokens.count else {
                        throw UsageError("option '--\(name)' needs a value (\(option.valueName!))", commandPath: commandNames)
                    }
                    record(option, value: tokens[index])
                    index += 1
                }
                continue
            }
            // Short options, possibly combined: -ab, -nVALUE, -n VALUE.
            var letters = utf8.dropFirst()
            while let letter = letters.first {
                letters = letters.dropFirst()
                if letter == UInt8(ascii: "h") {
                    helpRequested = true
                    continue
                }
                guard let option = validOptions.first(where: { $0.short?.asciiValue == letter }) else {
                    let shown = letter < 0x80 ? String(UnicodeScalar(letter)) : String(decoding: utf8.dropFirst(), as: UTF8.self)
                    throw unknownOption("-\(shown)")
                }
                let display = "-\(option.short.map(String.init) ?? "")"
                if option.isFlag {
                    record(option, value: nil)
                    continue
                }
                if !letters.isEmpty {
                    record(option, value: String(decoding: letters, as: UTF8.self))
                } else {
                    guard index < tokens.count else {
                        throw UsageError("option '\(display)' needs a value (\(option.valueName!))", commandPath: commandNames)
                    }
                    record(option, value: tokens[index])
                    index += 1
                }
                break
            }
        }

        let command = path.last!.configuration
        if helpRequested || versionRequested {
            return ParsedArguments(commandPath: commandNames, optionValues: optionValues, flags: flags, positionals: [])
        }
        if command.isGroup, command.arguments.isEmpty {
            let names = command.subcommands.filter { !$0.configuration.hidden }.map { $0.name }.joined(separator: ", ")
            throw UsageError("missing command for '\(commandNames.joined(separator: " "))' (one of: \(names))", commandPath: commandNames)
        }
        return ParsedArguments(
            commandPath: commandNames, optionValues: optionValues, flags: flags,
            positionals: try assign(positionals, to: command.arguments)
        )
    }

    private func assign(_ values: [String], to arguments: [Argument]) throws(UsageError) -> [ParsedArguments.Entry] {
        var result: [ParsedArguments.Entry] = []
        var remaining = values[...]
        for argument in arguments {
            if argument.variadic {
                if remaining.isEmpty, !argument.optional {
                    throw UsageError("missing argument \(argument.name)", commandPath: commandNames)
                }
                result.append(ParsedArguments.Entry(name: argument.name, values: Array(remaining)))
                remaining = []
            } else if let value = remaining.first {
                result.append(ParsedArguments.Entry(name: argument.name, values: [value]))
                remaining = remaining.dropFirst()
            } else if !argument.optional {
                throw UsageError("missing argument \(argument.name)", commandPath: commandNames)
            }
        }
        if let extra = remaining.first {
            throw UsageError("unexpected argument '\(extra)'", commandPath: commandNames)
        }
        return result
    }

    private func unknownOption(_ written: String) -> UsageError {
        var message = "unknown option '\(written)' for '\(commandNames.joined(separator: " "))'"
        let names = validOptions.filter { !$0.hidden }.map { "--\($0.long)" } + ["--help"]
        if let close = Suggestions.closest(to: written.hasPrefix("--") ? written : "--\(written.dropFirst())", in: names) {
            message += ". Did you mean '\(close)'?"
        }
        return UsageError(message, commandPath: commandNames)
    }

    /// "-1", "-0.5", "-.5": values, not options (unless a short option is
    /// that digit).
    private func isNegativeNumber(_ token: String) -> Bool {
        let second = token.utf8.dropFirst().first ?? 0
        let isDigit = second >= UInt8(ascii: "0") && second <= UInt8(ascii: "9")
        guard isDigit || second == UInt8(ascii: ".") else { return false }
        return !validOptions.contains { $0.short?.asciiValue == second }
    }
}
