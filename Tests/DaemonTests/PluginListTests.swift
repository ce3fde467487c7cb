@testable import Daemon
import JSONRPC
import PluginHost
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

@Suite struct PluginListTests {
    func copyTestPlugin(_ name: String, to folder: String) throws {
        let built = "\(BuiltProducts.directory)/libvctest-\(name)\(PluginRegistry.fileExtension)"
        try FileSystem.makeDirectories(folder, permissions: 0o755)
        try FileSystem.writeFileAtomically("\(folder)/\(name)\(PluginRegistry.fileExtension)", try FileSystem.readFile(built), permissions: 0o755)
    }

    @Test func pluginsAreListedWithTheirStateAndNewOnesReloaded() async throws {
        let plugins = try TemporaryDirectory()
        defer { plugins.remove() }
        try copyTestPlugin("echo", to: plugins.path)
        try copyTestPlugin("wrong-abi", to: plugins.path)
        let (listed, reloaded, status) = try await withInProcessDaemon({ options in
            options.upstream = "emulator"
            options.pluginFolders = [plugins.path]
        }) { client, _ in
            let listed = try client.call(PluginsList.self, NoParameters())
            try copyTestPlugin("failing-init", to: plugins.path)
            let reloaded = try client.call(PluginsReload.self, NoParameters())
            return (listed, reloaded, try client.call(DaemonStatus.self, NoParameters()))
        }
        let echo = try #require(listed.plugins.first { $0.name == "echo-test" })
        #expect(echo.loaded)
        #expect(echo.version == "1.0.0")
        #expect(echo.hooks == ["prompt", "image", "file"])
        #expect(echo.abi == "1.0")
        let wrong = try #require(listed.plugins.first { $0.path.hasSuffix("wrong-abi\(PluginRegistry.fileExtension)") })
        #expect(!wrong.loaded)
        #expect(wrong.error?.contains("built for plugin ABI 2.0; this visioncraftd speaks 1.0") == true)
        #expect(listed.folders.contains(plugins.path))
        #expect(reloaded.plugins.count == listed.plugins.count + 1)
        #expect(reloaded.plugins.last?.error?.contains("the model file is missing") == true)
        #expect(status.pid > 0, "the daemon still answers after refusing two plugins")
    }
}
