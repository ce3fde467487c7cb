/// Runs a command tree: parse, route, help, version, errors, exit codes.
package enum CommandLineTool {
    /// Parses `arguments` (without argv[0]), runs the command, and returns
    /// the exit code. Help goes to standard output (exit 0); usage errors to
    /// standard error with a hint (exit 64); `CommandFailure`s with their
    /// code; any other error exits 1.
    package static func main(
        _ root: any Command.Type,
        arguments: [String],
        context: CommandContext,
        version: String
    ) -> ExitCode {
        var parser = ArgumentParser(root: root)
        let program = root.name
        do {
            let parsed: ParsedArguments
            do {
                parsed = try parser.parse(arguments)
            } catch {
                // `--help` anywhere (before `--`) wins over a mistake found
                // before it: show the help of the command reached.
                let options = arguments.prefix { $0 != "--" }
                if parser.helpRequested || options.contains("--help") || options.contains("-h") {
                    context.stdout.write(HelpFormatter(path: parser.path, hasVersion: true).render())
                    return .success
                }
                throw error
            }
            if parser.helpRequested {
                context.stdout.write(HelpFormatter(path: parser.path, hasVersion: true).render())
                return .success
            }
            if parser.versionRequested {
                context.stdout.write("\(program) \(version)\n")
                return .success
            }
            let command: any Command
            do {
                command = try parser.path.last!.init(parsed)
            } catch var error as UsageError {
                if error.commandPath.isEmpty { error.commandPath = parsed.commandPath }
                throw error
            }
            return try command.run(context)
        } catch let error as UsageError {
            let path = error.commandPath.isEmpty ? parser.commandNames : error.commandPath
            context.stderr.write("\(program): \(TerminalText.visible(error.message))\nTry '\(path.joined(separator: " ")) --help'.\n")
            if parser.path.last!.configuration.isGroup, error.message.hasPrefix("missing command") {
                context.stderr.write("\n" + HelpFormatter(path: parser.path, hasVersion: true).render())
            }
            return .usage
        } catch let failure as CommandFailure {
            // A failure's message often quotes the daemon or the upstream
            // (its own lines kept: a message may list paths, one a line).
            context.stderr.write("\(program): \(TerminalText.visible(failure.message, keepingLineBreaks: true))\n")
            if let hint = failure.hint { context.stderr.write(TerminalText.visible(hint, keepingLineBreaks: true) + "\n") }
            return failure.exitCode
        } catch {
            context.stderr.write("\(program): \(TerminalText.visible("\(error)"))\n")
            return .failure
        }
    }

    /// Parses without running (for tests and tools): the command reached and
    /// its arguments.
    package static func parse(_ root: any Command.Type, arguments: [String]) throws(UsageError) -> (command: any Command.Type, parsed: ParsedArguments) {
        var parser = ArgumentParser(root: root)
        let parsed = try parser.parse(arguments)
        return (parser.path.last!, parsed)
    }

    /// The help text of the command at `path` below `root` (["daemon", "start"]).
    package static func help(_ root: any Command.Type, path: [String] = []) -> String {
        var commands: [any Command.Type] = [root]
        for name in path {
            guard let next = commands.last!.configuration.subcommands.first(where: { $0.name == name }) else { break }
            commands.append(next)
        }
        return HelpFormatter(path: commands, hasVersion: true).render()
    }
}

/// One command of a tree, with everything valid on it (for completions and
/// for checking that documentation covers every option).
package struct CommandInfo: Sendable {
    /// ["vcctl", "daemon", "start"].
    package let path: [String]
    package let configuration: CommandConfiguration
    /// Its own options and every inherited one from its ancestors.
    package let options: [Option]
}

extension CommandLineTool {
    /// Every command of the tree, depth first, the root first; hidden ones
    /// are left out.
    package static func commands(_ root: any Command.Type) -> [CommandInfo] {
        var result: [CommandInfo] = []
        func visit(_ command: any Command.Type, path: [String], inherited: [Option]) {
            let configuration = command.configuration
            let here = path + [command.name]
            result.append(CommandInfo(path: here, configuration: configuration, options: configuration.options + inherited))
            let passDown = inherited + configuration.options.filter(\.inherited)
            for sub in configuration.subcommands where !sub.configuration.hidden { visit(sub, path: here, inherited: passDown) }
        }
        visit(root, path: [], inherited: [])
        return result
    }
}
