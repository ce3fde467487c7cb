import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Neovim plugin (`Integrations/nvim`) against a real daemon on its
/// embedded emulator: headless Neovim runs a Lua script that drives the
/// commands and waits (vim.wait, on events, with a timeout) for the results.
@Suite(.enabled(if: Neovim.executable != nil, "needs nvim (Neovim 0.7 or newer)"))
struct NeovimTests {
    @Test func markdownGetsOneLinkPerImageBelowTheLine() async throws {
        let daemon = try await Neovim.startDaemon()
        defer { daemon.cleanUp() }
        let file = daemon.folder.file("notes.md")
        try FileSystem.writeFileAtomically(file, Array("# Notes\nbefore\nafter\n".utf8))
        let run = try await Neovim.run(
            """
            vim.api.nvim_win_set_cursor(0, { 2, 0 })
            vim.cmd('VisionCraft a lighthouse n=2')
            wait_for(60000, function() return count_lines('^!%[a lighthouse%]%(') == 2 end, 'two links')
            if require('visioncraft').statusline() ~= '' then error('statusline: ' .. require('visioncraft').statusline()) end
            vim.cmd('write')
            """,
            file: file, daemon: daemon
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
        let lines = try Neovim.lines(of: file)
        try #require(lines.count == 5, "\(lines)")
        #expect(lines[0] == "# Notes" && lines[1] == "before" && lines[4] == "after", "below the line: \(lines)")
        let links = lines.filter { $0.hasPrefix("![a lighthouse](") }
        #expect(links.count == 2, "\(lines)")
        for link in links {
            let path = String(link.dropFirst("![a lighthouse](".count).dropLast())
            #expect(path.hasPrefix(daemon.folder.file("Pictures/visioncraft/")))
            try expectSavedPNG(path)
        }
        let notes = try Neovim.notes(in: daemon.folder)
        #expect(notes.contains { $0.contains("running") }, "progress from job.updated: \(notes)")
        #expect(notes.contains { $0.contains("2 images inserted") }, "\(notes)")
    }

    @Test func orgAndAsciidocBuffersGetTheirOwnLinks() async throws {
        let daemon = try await Neovim.startDaemon()
        defer { daemon.cleanUp() }
        let org = daemon.folder.file("notes.org")
        try FileSystem.writeFileAtomically(org, Array("* Notes\n".utf8))
        let run = try await Neovim.run(
            """
            vim.bo.filetype = 'org'
            vim.cmd('VisionCraft n=1 a red fox steps=12')
            wait_for(60000, function() return count_lines('^%[%[file:') == 1 end, 'an org link')
            vim.cmd('write')
            vim.cmd('edit ' .. vim.fn.fnameescape(OUT .. '/notes.adoc'))
            vim.bo.filetype = 'asciidoc'
            vim.api.nvim_buf_set_lines(0, 0, -1, false, { '= Notes' })
            vim.cmd('VisionCraft a blue whale')
            wait_for(60000, function() return count_lines('^image::') == 1 end, 'an asciidoc link')
            vim.cmd('write')
            """,
            file: org, daemon: daemon
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
        let lines = try Neovim.lines(of: org)
        #expect(lines.count == 2, "\(lines)")
        let link = try #require(lines.last)
        #expect(link.hasPrefix("[[file:") && link.hasSuffix(".png]]"), "\(link)")
        try expectSavedPNG(String(link.dropFirst("[[file:".count).dropLast(2)))
        let adoc = try Neovim.lines(of: daemon.folder.file("notes.adoc"))
        #expect(adoc.count == 2 && adoc[1].hasPrefix("image::") && adoc[1].hasSuffix(".png[a blue whale]"), "\(adoc)")
    }

    @Test func thePromptComesFromAVisualSelection() async throws {
        let daemon = try await Neovim.startDaemon()
        defer { daemon.cleanUp() }
        let file = daemon.folder.file("scene.md")
        try FileSystem.writeFileAtomically(file, Array("title\na red\nlighthouse at dusk\nend\n".utf8))
        let run = try await Neovim.run(
            """
            -- Linewise: lines 2 and 3; the links go below line 3.
            vim.cmd('normal! 2GVj\\27')
            vim.cmd("'<,'>VisionCraft")
            wait_for(60000, function() return count_lines('^!%[a red lighthouse at dusk%]') == 1 end, 'the linewise link')
            -- Characterwise: one word of the last line.
            vim.api.nvim_win_set_cursor(0, { 5, 0 })
            vim.cmd('normal! 0ve\\27')
            vim.cmd("'<,'>VisionCraft n=1")
            wait_for(60000, function() return count_lines('^!%[end%]') == 1 end, 'the charwise link')
            vim.cmd('write')
            """,
            file: file, daemon: daemon
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
        let lines = try Neovim.lines(of: file)
        try #require(lines.count == 6, "\(lines)")
        #expect(lines[3].hasPrefix("![a red lighthouse at dusk]("), "below the selection: \(lines)")
        #expect(lines[4] == "end")
        #expect(lines[5].hasPrefix("![end]("))
    }

    @Test func cancelStopsTheLastJob() async throws {
        let daemon = try await Neovim.startDaemon(extra: ["--emulator-faults", #"{"latency_ms":5000}"#])
        defer { daemon.cleanUp() }
        let file = daemon.folder.file("slow.md")
        try FileSystem.writeFileAtomically(file, Array("a slow ship\n".utf8))
        let run = try await Neovim.run(
            """
            local vc = require('visioncraft')
            vim.cmd('VisionCraft')
            wait_for(30000, function() return vc.last_job() ~= nil and vc.last_job().state == 'running' end, 'the job to run')
            if not vc.statusline():find('running') then error('statusline: ' .. vc.statusline()) end
            -- The counts come from job.list summaries.
            vim.cmd('VisionCraftStatus')
            wait_for(10000, function() return note_matching('jobs: 1 running, 0 queued') ~= nil end, 'the status counts')
            vim.cmd('VisionCraftCancel')
            wait_for(20000, function() return note_matching('cancelled') ~= nil end, 'the cancellation')
            io.stdout:write('JOB ' .. vc.last_job().id .. '\\n')
            if count_lines('^!%[') ~= 0 then error('links for a cancelled job') end
            """,
            file: file, daemon: daemon, timeout: TestTime.scaled(.seconds(90))
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
        let id = try #require(run.standardOutput.split(separator: "\n").first { $0.hasPrefix("JOB ") }?.dropFirst(4))
        let job = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.get","params":{"id":"\#(id)"}}"#)
            return try JSONParser.parse(try client.readLine())
        }
        #expect(job["result"]?["state"] == "cancelled", "\(job)")
        let notes = try Neovim.notes(in: daemon.folder)
        #expect(notes.contains { $0.hasPrefix("WARN") && $0.contains("job \(id) cancelled") }, "\(notes)")
    }

    @Test func theClientReconnectsAfterTheDaemonRestarts() async throws {
        let first = try await Neovim.startDaemon()
        defer { first.cleanUp() }
        let folder = first.folder
        let socket = first.socketPath
        let file = folder.file("restart.md")
        try FileSystem.writeFileAtomically(file, Array("a lighthouse\nan owl\n".utf8))
        let script = try Neovim.writeScript(
            """
            local vc = require('visioncraft')
            vim.cmd('1VisionCraft')
            wait_for(60000, function() return count_lines('^!%[a lighthouse%]') == 1 end, 'the first link')
            io.stdout:write('restart now\\n')
            io.stdout:flush()
            -- The daemon goes away and comes back on the same socket.
            wait_for(60000, function() return vc.client().connections >= 2 end, 'the reconnection')
            vim.cmd('$VisionCraft')
            wait_for(60000, function() return count_lines('^!%[an owl%]') == 1 end, 'the second link')
            vim.cmd('write')
            """,
            in: folder
        )
        let neovim = try Neovim.spawn(script: script, file: file, socket: socket, folder: folder)
        defer { neovim.stop() }
        let said = try await offPool { try neovim.output.readLine(timeout: TestTime.scaled(.seconds(90))) }
        #expect(said == "restart now")
        _ = try await offPool { try first.terminate() }
        let second = try await offPool {
            try DaemonProcess.start(arguments: Neovim.daemonArguments, folder: folder, socketPath: socket)
        }
        defer { second.cleanUp() }
        let status = try await offPool { try neovim.finish(timeout: TestTime.scaled(.seconds(90))) }
        #expect(status == 0, "\(neovim.standardError())")
        let lines = try Neovim.lines(of: file)
        try #require(lines.count == 4, "\(lines)")
        #expect(lines[1].hasPrefix("![a lighthouse]("))
        #expect(lines[3].hasPrefix("![an owl]("))
        try expectSavedPNG(String(lines[3].dropFirst("![an owl](".count).dropLast()))
    }

    @Test func checkhealthReportsTheSocketAndTheDaemon() async throws {
        let daemon = try await Neovim.startDaemon()
        defer { daemon.cleanUp() }
        let report = daemon.folder.file("health.txt")
        let run = try await Neovim.run(
            """
            vim.cmd('checkhealth visioncraft')
            vim.cmd('silent write! ' .. vim.fn.fnameescape(OUT .. '/health.txt'))
            """,
            file: nil, daemon: daemon
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
        let text = String(decoding: try FileSystem.readFile(report), as: UTF8.self)
        #expect(text.contains(daemon.socketPath), "\(text)")
        #expect(text.contains("OK") && text.contains("the daemon answers"), "\(text)")
        #expect(text.contains("visioncraftd 0.") || text.contains("visioncraftd 1."), "the version: \(text)")
        #expect(text.contains("API key set (from emulator)"), "\(text)")
        #expect(!text.contains("ERROR"), "\(text)")
    }

    @Test func aMissingSocketIsAClearErrorNotATraceback() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/none.sock")
        let run = try await Neovim.run(
            """
            vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'a lighthouse' })
            vim.cmd('VisionCraft')
            wait_for(10000, function() return note_matching('cannot') ~= nil end, 'the error')
            vim.cmd('VisionCraftStatus')
            wait_for(10000, function() return #NOTES >= 2 end, 'the status error')
            vim.cmd('checkhealth visioncraft')
            vim.cmd('silent write! ' .. vim.fn.fnameescape(OUT .. '/health.txt'))
            """,
            file: nil, socket: socket, folder: folder
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
        #expect(!run.standardError.contains("traceback") && !run.standardError.contains("E5108"), "\(run.standardError)")
        let notes = try Neovim.notes(in: folder)
        #expect(notes.count == 2, "\(notes)")
        #expect(notes.allSatisfy { $0.hasPrefix("ERROR") && $0.contains("cannot connect to visioncraftd at \(socket) (no such socket") }, "\(notes)")
        #expect(notes.allSatisfy { !$0.contains("traceback") })
        let health = String(decoding: try FileSystem.readFile(folder.file("health.txt")), as: UTF8.self)
        #expect(health.contains("ERROR") && health.contains("no socket at \(socket)"), "\(health)")
    }

    /// `:helptags` on a copy of the help file gives no error (no duplicate
    /// tags), and `:help` finds the tags the README points to.
    @Test func theHelpFileHasItsTags() async throws {
        let executable = try #require(Neovim.executable)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("doc"), permissions: 0o700)
        let help = try FileSystem.readFile(Neovim.pluginFolder + "/doc/visioncraft.txt")
        try FileSystem.writeFileAtomically(folder.file("doc/visioncraft.txt"), help)
        let lookups = ["visioncraft", "visioncraft-setup", ":VisionCraft", ":VisionCraftStatus", ":VisionCraftCancel", "visioncraft-health"]
        // A script, not -c arguments: Neovim takes at most ten of those.
        let script = ["let g:found = []", "helptags \(folder.file("doc"))", "set runtimepath^=\(folder.path)"]
            + lookups.map { "help \($0) | let g:found += [expand('%:t') .. ':' .. getline('.')] | close" }
            + ["call writefile(g:found, '\(folder.file("found.txt"))')", "qall!"]
        try FileSystem.writeFileAtomically(folder.file("lookups.vim"), Array(script.joined(separator: "\n").utf8))
        let arguments = ["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n", "-S", folder.file("lookups.vim")]
        let run = try await offPool {
            try runProcess(executable, arguments, environment: isolatedEnvironment(in: folder), timeout: TestTime.scaled(.seconds(30)))
        }
        #expect(run.status == 0, "\(Neovim.describe(run))")
        #expect(!run.standardError.contains("E1") && !run.standardError.contains("E4"), "\(run.standardError)")
        let found = String(decoding: try FileSystem.readFile(folder.file("found.txt")), as: UTF8.self).split(separator: "\n")
        #expect(found.count == lookups.count, "\(found)\n\(run.standardError)")
        #expect(found.allSatisfy { $0.hasPrefix("visioncraft.txt:") }, "\(found)")
    }

    @Test func argumentsAndFramingWithoutADaemon() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let run = try await Neovim.run(
            #"""
            local vc = require('visioncraft')
            local client = require('visioncraft.client')
            local function check(got, want, what)
              if not vim.deep_equal(got, want) then error(what .. ': ' .. vim.inspect(got)) end
            end
            local params, prompt = vc.parse_arguments('model=dreamshaper_8 a red n=3 fox cfg=7.5 negative="blurry, dark" steps=20')
            check(prompt, 'a red fox', 'prompt')
            check(params, { model = 'dreamshaper_8', image_count = 3, cfg_scale = 7.5, negative_prompt = 'blurry, dark', steps = 20 }, 'params')
            local none, message = vc.parse_arguments('colour=red fox')
            check(none, nil, 'unknown option')
            if not message:find('unknown option colour=') then error(message) end
            check(select(2, vc.parse_arguments('n=x fox')), 'n= expects a number, got "x"', 'number')
            -- Split reads: half a message, several in one read, \r\n, blank lines.
            local lines, rest = client.split_lines('', '{"a":1}\n{"b"')
            check(lines, { '{"a":1}' }, 'first read'); check(rest, '{"b"', 'rest')
            lines, rest = client.split_lines(rest, ':2}\r\n\n  \n{"c":3}\n{"d":4}\n')
            check(lines, { '{"b":2}', '{"c":3}', '{"d":4}' }, 'second read'); check(rest, '', 'no rest')
            -- The socket path, resolved like the daemon's.
            check(client.socket_path('/x.sock'), '/x.sock', 'explicit')
            check(client.socket_path(), os.getenv('VISIONCRAFT_SOCKET'), 'environment')
            vim.env.VISIONCRAFT_SOCKET = nil
            vim.env.XDG_RUNTIME_DIR = '/run/user/7'
            check(client.socket_path(), '/run/user/7/visioncraft/visioncraftd.sock', 'runtime folder')
            vim.env.XDG_RUNTIME_DIR = nil
            check(client.socket_path(), '/tmp/visioncraft-' .. vim.loop.getuid() .. '/visioncraftd.sock', 'uid')
            """#,
            file: nil, socket: folder.file("none.sock"), folder: folder
        )
        #expect(run.status == 0, "\(Neovim.describe(run))")
    }
}

/// Runs headless Neovim with the plugin on its runtimepath.
enum Neovim {
    static let executable: String? = ProcessEnvironment.findExecutable(named: "nvim")
    static let pluginFolder = ManualPage.repositoryRoot + "/Integrations/nvim"
    static let daemonArguments = ["--emulator", "--requests-per-minute", "0"]

    static func startDaemon(extra: [String] = []) async throws -> DaemonProcess {
        try await offPool { try DaemonProcess.start(arguments: daemonArguments + extra) }
    }

    /// The Lua around a test's body: notifications recorded (and written to
    /// `OUT/notes.txt` one per line, "LEVEL message"), helpers, and an exit
    /// status: 0, or 3 with the error on standard error.
    static func script(_ body: String, out: String) -> String {
        """
        OUT = \(luaString(out))
        NOTES = {}
        local level_names = { [0] = 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR' }
        vim.notify = function(message, level)
          table.insert(NOTES, (level_names[level or 2] or tostring(level)) .. ' ' .. tostring(message):gsub('\\n', '\\\\n'))
        end
        function count_lines(pattern)
          local n = 0
          for _, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
            if line:find(pattern) then n = n + 1 end
          end
          return n
        end
        function note_matching(text)
          for _, note in ipairs(NOTES) do
            if note:find(text, 1, true) then return note end
          end
        end
        function wait_for(ms, predicate, what)
          if not vim.wait(ms, predicate, 20) then
            error('timed out waiting for ' .. what .. '; notes: ' .. table.concat(NOTES, ' | '), 2)
          end
        end
        local function save_notes()
          local file = io.open(OUT .. '/notes.txt', 'w')
          file:write(table.concat(NOTES, '\\n'))
          file:close()
        end
        local ok, problem = xpcall(function()
          vim.cmd('runtime plugin/visioncraft.lua')
          require('visioncraft').setup({})
        \(body)
        end, debug.traceback)
        save_notes()
        if not ok then
          io.stderr:write('TEST FAILED: ' .. tostring(problem) .. '\\n')
          vim.cmd('cquit 3')
        end
        vim.cmd('qall!')
        """
    }

    static func luaString(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            if character == "\\" || character == "'" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "'"
    }

    static func writeScript(_ body: String, in folder: TemporaryDirectory) throws -> String {
        let path = folder.file("test.lua")
        try FileSystem.writeFileAtomically(path, Array(script(body, out: folder.path).utf8))
        return path
    }

    static func arguments(script: String, file: String?) -> [String] {
        ["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n", "--cmd", "set runtimepath^=\(pluginFolder)"]
            + (file.map { [$0] } ?? []) + ["-c", "luafile \(script)"]
    }

    static func environment(socket: String, folder: TemporaryDirectory) -> [String: String] {
        isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_SOCKET": socket])
    }

    /// Runs a script to its end against `daemon`.
    static func run(_ body: String, file: String?, daemon: DaemonProcess, timeout: Duration = .seconds(60)) async throws -> ProcessOutput {
        try await run(body, file: file, socket: daemon.socketPath, folder: daemon.folder, timeout: timeout)
    }

    static func run(
        _ body: String, file: String?, socket: String, folder: TemporaryDirectory, timeout: Duration = .seconds(60)
    ) async throws -> ProcessOutput {
        let script = try writeScript(body, in: folder)
        let executable = try #require(executable)
        let arguments = arguments(script: script, file: file)
        let environment = environment(socket: socket, folder: folder)
        return try await offPool {
            try runProcess(executable, arguments, environment: environment, timeout: timeout)
        }
    }

    /// A Neovim left running, its standard output readable line by line.
    final class Running: Sendable {
        let child: ChildProcess
        let output: LineClient
        let errorPath: String

        init(child: ChildProcess, output: LineClient, errorPath: String) {
            self.child = child
            self.output = output
            self.errorPath = errorPath
        }

        /// Waits for the end of its output, then for its exit status.
        func finish(timeout: Duration) throws -> Int32 {
            _ = try output.readToEndOfFile(timeout: timeout)
            if case .exited(let code) = try child.wait() { return code }
            return -1
        }

        func standardError() -> String {
            (try? FileSystem.readFile(errorPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }

        /// Kills it if it still runs.
        func stop() {
            if (try? child.poll()) == nil {
                child.send(.kill)
                _ = try? child.wait()
            }
            output.close()
        }
    }

    static func spawn(script: String, file: String?, socket: String, folder: TemporaryDirectory) throws -> Running {
        let executable = try #require(executable)
        let output = try FileDescriptor.pipe()
        let errorPath = folder.file("nvim-stderr.txt")
        let errors = try FileDescriptor.open(errorPath, O_WRONLY | O_CREAT | O_TRUNC)
        defer { try? errors.close() }
        var options = ChildProcess.Options(
            executable: executable, arguments: arguments(script: script, file: file), environment: environment(socket: socket, folder: folder)
        )
        options.standardInput = .null
        options.standardOutput = .descriptor(output.write)
        options.standardError = .descriptor(errors)
        let child = try ChildProcess.spawn(options)
        try output.write.close()
        return Running(child: child, output: LineClient(descriptor: output.read), errorPath: errorPath)
    }

    static func describe(_ run: ProcessOutput) -> String {
        "exit \(run.termination)\nstdout: \(run.standardOutput)\nstderr: \(run.standardError)"
    }

    static func lines(of path: String) throws -> [String] {
        String(decoding: try FileSystem.readFile(path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init).dropLast(while: { $0.isEmpty })
    }

    /// The notifications the script recorded, "LEVEL message" each.
    static func notes(in folder: TemporaryDirectory) throws -> [String] {
        String(decoding: try FileSystem.readFile(folder.file("notes.txt")), as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

extension Array where Element == String {
    /// Drops the trailing elements that match (the empty string after the
    /// file's last newline).
    fileprivate func dropLast(while predicate: (String) -> Bool) -> [String] {
        var copy = self
        while let last = copy.last, predicate(last) { copy.removeLast() }
        return copy
    }
}
