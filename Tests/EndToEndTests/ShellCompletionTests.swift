import Posix
import Testing
import TestSupport

/// The completion scripts in the real shells, with the built vcctl on PATH
/// and a running daemon for the values only it knows.
@Suite(.serialized) struct ShellCompletionTests {
    /// A daemon with one job, the three scripts written, and the shells'
    /// environment.
    struct Setup {
        let daemon: DaemonProcess
        let jobID: String
        let environment: [String: String]
        let samplers: [String]

        static func make() async throws -> Setup {
            let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
            let socket = ["--socket", daemon.socketPath, "--no-start"]
            let id = try await vcctl(socket + ["submit", "a fox"], folder: daemon.folder).standardOutput.trimmingNewline
            let samplers = try await vcctl(socket + ["samplers"], folder: daemon.folder).standardOutput.split(separator: "\n").map(String.init)
            try FileSystem.makeDirectories(daemon.folder.file("zfunc"), permissions: 0o700)
            for (shell, file) in [("bash", "vcctl.bash"), ("zsh", "zfunc/_vcctl"), ("fish", "vcctl.fish")] {
                let script = try await vcctl(["completion", shell], folder: daemon.folder)
                #expect(script.status == 0)
                try FileSystem.writeFileAtomically(daemon.folder.file(file), Array(script.standardOutput.utf8))
            }
            var environment = isolatedEnvironment(in: daemon.folder)
            environment["PATH"] = BuiltProducts.directory + ":/usr/bin:/bin"
            environment["VISIONCRAFT_SOCKET"] = daemon.socketPath
            return Setup(daemon: daemon, jobID: id, environment: environment, samplers: samplers)
        }

        func run(_ executable: String, _ arguments: [String]) async throws -> [String] {
            let environment = self.environment
            let output = try await offPool { try runProcess(executable, arguments, environment: environment, timeout: TestTime.scaled(.seconds(60))) }
            #expect(output.status == 0, "\(executable): \(output.standardError)")
            return output.standardOutput.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }

        /// What bash's COMPREPLY holds for `words` (the last one being typed),
        /// each entry as the shell reads it back.
        func bash(_ words: [String]) async throws -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let program = """
                source \(daemon.folder.file("vcctl.bash"))
                COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1)
                _vcctl
                for reply in "${COMPREPLY[@]}"; do eval "set -- $reply"; [ $# -eq 1 ] || echo "SPLIT:$reply"; printf '%s\\n' "$1"; done
                """
            return try await run("/bin/bash", ["--norc", "-c", program])
        }

        /// What zsh offers on TAB after `line`, through compinit with the
        /// script in fpath, in a pseudo-terminal (zpty): every match that
        /// reaches compadd.
        func zsh(_ line: String) async throws -> [String] {
            let driver = daemon.folder.file("drive.zsh")
            try FileSystem.writeFileAtomically(driver, Array(Self.zshDriver.utf8))
            return try await run("/usr/bin/zsh", ["-f", driver, daemon.folder.file("zfunc"), line])
        }

        /// What fish completes for `line` (`complete -C`).
        func fish(_ line: String) async throws -> [String] {
            let script = daemon.folder.file("vcctl.fish")
            return try await run("/usr/bin/fish", ["--no-config", "-c", "source \(script); complete -C '\(line)'"]).map {
                String($0.prefix { $0 != "\t" })
            }
        }

        /// Runs an interactive zsh in a pty, records compadd's matches and
        /// prints them once the completion has run (markers split so that
        /// the echoed input does not hold them).
        static let zshDriver = #"""
            zmodload zsh/zpty
            zpty z zsh -f -i
            zpty -w z "PS1=''; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
            zpty -w z 'compadd() { local -a __hits; builtin compadd -O __hits "$@"; local h; for h in $__hits; do print -r -- "VC""HIT:$h"; done; builtin compadd "$@" }'
            zpty -w z '__vc_done() { print -r -- VC""END }; comppostfuncs=(__vc_done)'
            zpty -w z "bindkey '^I' complete-word"
            zpty -w -n z "$2"$'\t'
            local line
            while zpty -r z line; do
              line=${line//$'\r'/}
              [[ $line == *VCHIT:* ]] && print -r -- "${line#*VCHIT:}"
              [[ $line == *VCEND* ]] && break
            done
            zpty -d z
            """#
    }

    static let shells = FileSystem.isExecutable("/usr/bin/zsh") && FileSystem.isExecutable("/usr/bin/fish")

    @Test func bashCompletesNamesWithSpacesAsOneWord() async throws {
        let setup = try await Setup.make()
        defer { setup.daemon.cleanUp() }
        let euler = setup.samplers.filter { $0.hasPrefix("Euler") }
        #expect(euler.count >= 2 && euler.contains { $0.contains(" ") }, "\(setup.samplers)")
        let replies = try await setup.bash(["vcctl", "submit", "--sampler", "Euler"])
        #expect(replies.sorted() == euler.sorted(), "each reply read back is one whole name: \(replies)")
        let afterSpace = try await setup.bash(["vcctl", "submit", "--sampler", #"Euler\ "#])
        #expect(afterSpace.sorted() == euler.filter { $0.hasPrefix("Euler ") }.sorted(), "\(afterSpace)")
        #expect(try await setup.bash(["vcctl", "get", ""]) == [setup.jobID])
    }

    @Test(.enabled(if: shells, "needs zsh and fish (.ci/install-packages --tests)"))
    func zshOffersTheDaemonsValues() async throws {
        let setup = try await Setup.make()
        defer { setup.daemon.cleanUp() }
        #expect(try await setup.zsh("vcctl su") == ["submit"])
        #expect(try await setup.zsh("vcctl submit --model anything_V") == ["anything_V5"])
        let samplers = try await setup.zsh("vcctl submit --sampler Eu")
        #expect(samplers.sorted() == setup.samplers.filter { $0.hasPrefix("Eu") }.sorted(), "names with spaces whole: \(samplers)")
        #expect(try await setup.zsh("vcctl submit --plugin ups") == ["upscale"])
        #expect(try await setup.zsh("vcctl get ") == [setup.jobID])
        #expect(try await setup.zsh("vcctl config set jobs.mo") == ["jobs.model"])
    }

    @Test(.enabled(if: shells, "needs zsh and fish (.ci/install-packages --tests)"))
    func fishOffersKeysAfterConfigSetAndTheDaemonsValues() async throws {
        let setup = try await Setup.make()
        defer { setup.daemon.cleanUp() }
        let keys = try await setup.fish("vcctl config set ")
        #expect(keys.contains("jobs.model") && !keys.contains("get") && !keys.contains("set"), "keys, not subcommands: \(keys)")
        #expect(try await setup.fish("vcctl config ").sorted() == ["get", "keys", "path", "set"])
        let samplers = try await setup.fish("vcctl submit --sampler Eu")
        #expect(samplers.sorted() == setup.samplers.filter { $0.hasPrefix("Eu") }.sorted(), "\(samplers)")
        #expect(try await setup.fish("vcctl get ") == [setup.jobID])
        #expect(try await setup.fish("vcctl --json ke") == ["key"], "global options before the command")
        let keyOptions = try await setup.fish("vcctl key set --")
        #expect(!keyOptions.contains("--model"), "key set is not submit: \(keyOptions)")
    }
}
