import JSON
import Posix
import Testing
import TestSupport

/// `Integrations/install.sh` into a fresh prefix: everything in its place, a
/// daemon started from there with its plugins, units systemd accepts, and a
/// reinstall under a running daemon that crashes nothing and says what needs
/// a restart.
@Suite struct InstallTests {
    static let script = ManualPage.repositoryRoot + "/Integrations/install.sh"

    static func install(_ arguments: [String], home: TemporaryDirectory) throws -> ProcessOutput {
        try runProcess("/bin/sh", [script] + arguments, environment: isolatedEnvironment(in: home, extra: ["PATH": "/usr/bin:/bin"]))
    }

    @Test func installsEverythingAndTheInstalledDaemonLoadsItsPlugins() async throws {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        let prefix = home.file("prefix")
        let socket = home.file("run/d.sock")
        nonisolated(unsafe) var listing = ""
        let (installed, plugins, executable, again, after) = try await offPool { () -> (ProcessOutput, JSON, String, ProcessOutput, JSON) in
            let installed = try Self.install(["--prefix", prefix, "--from", BuiltProducts.directory], home: home)
            let environment = isolatedEnvironment(in: home, extra: ["PATH": "/usr/bin:/bin"])
            let vcctl = prefix + "/bin/vcctl"
            let plugins = try JSONParser.parse(try runProcess(vcctl, ["--socket", socket, "--json", "plugins"], environment: environment).standardOutput)
            listing = try runProcess(vcctl, ["--socket", socket, "plugins"], environment: environment).standardOutput
            let status = try JSONParser.parse(try runProcess(vcctl, ["--socket", socket, "--json", "status"], environment: environment).standardOutput)
            let pid = status["pid"]?.intValue ?? 0
            let executable = (try? FileSystem.readLink("/proc/\(pid)/exe")) ?? "(no /proc)"
            // Installed again under the running daemon: renamed into place, nothing crashes.
            let again = try Self.install(["--prefix", prefix, "--from", BuiltProducts.directory], home: home)
            let after = try JSONParser.parse(try runProcess(vcctl, ["--socket", socket, "--no-start", "--json", "plugins"], environment: environment).standardOutput)
            _ = try? runProcess(vcctl, ["--socket", socket, "--no-start", "daemon", "stop"], environment: environment)
            return (installed, plugins, executable, again, after)
        }
        #expect(installed.status == 0, "\(installed.standardError)")
        for file in [
            "bin/visioncraftd", "bin/vcctl", "bin/visioncraft-emulator", "share/man/man1/vcctl.1", "share/man/man8/visioncraftd.8",
            "share/man/man5/visioncraft.conf.5", "share/man/man7/visioncraft-plugin.7", "share/bash-completion/completions/vcctl",
            "share/zsh/site-functions/_vcctl", "share/fish/vendor_completions.d/vcctl.fish", "share/systemd/user/visioncraftd.socket",
            "share/systemd/user/visioncraftd.service", "share/visioncraft/launchd/io.visioncraft.visioncraftd.plist",
        ] {
            #expect((try? FileSystem.status("\(prefix)/\(file)")).flatMap { $0 }?.kind == .regular, "\(file)")
        }
        let loaded = (plugins["plugins"]?.arrayValue ?? []).filter { $0["loaded"] == true }
        #expect(Set(loaded.compactMap { $0["name"]?.stringValue }) == ["exec", "template", "upscale"], "\(plugins)")
        #expect(loaded.allSatisfy { $0["path"]?.stringValue?.hasPrefix(prefix + "/lib/visioncraft/plugins/") == true })
        // Each plugin's options under it, as --plugin NAME:KEY=VALUE takes them.
        let lines = listing.split(separator: "\n").map(String.init)
        let upscale = try #require(lines.firstIndex { $0.hasPrefix("upscale ") }, "\(listing)")
        #expect(lines.dropFirst(upscale + 1).first?.hasPrefix("    scale  integer 2 to 4  ") == true, "\(listing)")
        #expect(lines.contains { $0.hasPrefix("    command  string") && $0.contains("required") }, "\(listing)")
        if executable != "(no /proc)" {
            #expect(executable == prefix + "/bin/visioncraftd", "the installed daemon runs, not the build's")
        }
        #expect(again.status == 0, "\(again.standardError)")
        let changed = (after["plugins"]?.arrayValue ?? []).filter { $0["loaded"] == true }.compactMap { $0["changed"]?.stringValue }
        #expect(changed.count == 3, "\(after)")
        #expect(changed.allSatisfy { $0.contains("replaced since it was loaded; restart the daemon") })
        let service = String(decoding: try FileSystem.readFile(prefix + "/share/systemd/user/visioncraftd.service"), as: UTF8.self)
        #expect(service.contains("ExecStart=\(prefix)/bin/visioncraftd"))
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/systemd-analyze"), "needs systemd-analyze"))
    func theInstalledUnitsVerify() async throws {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        let prefix = home.file("prefix")
        let verified = try await offPool { () -> ProcessOutput in
            _ = try Self.install(["--prefix", prefix, "--from", BuiltProducts.directory], home: home)
            try FileSystem.makeDirectories(home.file("runtime"), permissions: 0o700)
            let units = prefix + "/share/systemd/user"
            // man finds the installed manuals through PATH (PREFIX/bin), as the script says.
            let manual = FileSystem.isExecutable("/usr/bin/man") ? "--man=yes" : "--man=no"
            return try runProcess(
                "/usr/bin/systemd-analyze", ["--user", manual, "verify", units + "/visioncraftd.socket", units + "/visioncraftd.service"],
                environment: isolatedEnvironment(in: home, extra: ["PATH": "\(prefix)/bin:/usr/bin:/bin", "XDG_RUNTIME_DIR": home.file("runtime")])
            )
        }
        #expect(verified.status == 0, "\(verified.standardError)")
    }

    @Test(arguments: [["--bogus"], ["--prefix", "relative/path"], ["--prefix"]])
    func badArgumentsAreUsageErrors(arguments: [String]) async throws {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        let output = try await offPool { try Self.install(arguments + ["--from", BuiltProducts.directory], home: home) }
        #expect(output.status == 64, "\(output.standardError)")
        #expect((try? FileSystem.status(home.file("prefix"))).flatMap { $0 } == nil)
    }
}
