import Jobs
@testable import PluginHost
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A built test plugin's path (`swift test` builds them as dynamic libraries).
func testPlugin(_ name: String) throws -> String {
    let path = "\(BuiltProducts.directory)/libvctest-\(name)\(PluginRegistry.fileExtension)"
    guard (try? FileSystem.status(path)) != nil else { throw TestFailure("\(path) is missing: run 'swift build --build-tests' first") }
    return path
}

@Suite struct PluginLoaderTests {
    @Test func aGoodPluginLoadsWithItsDescriptorAndConfiguration() throws {
        let lines = ThreadCondition<[String]>([])
        let plugin = try PluginLoader.load(try testPlugin("echo"), configuration: #"{"suffix":"!"}"#) { level, line in
            lines.update { $0.append("\(level) \(line)") }
        }
        #expect(plugin.name == "echo-test")
        #expect(plugin.version == "1.0.0")
        #expect(plugin.summary == "Echoes prompts, inverts images (for tests)")
        #expect(plugin.hooks == [.prompt, .image, .file])
        #expect(plugin.abi == (1, 0), "an ABI 1.0 plugin, whose descriptor ends before image_plan, still loads")
        #expect(!plugin.serialized)
        #expect(plugin.state != nil, "init ran")
        #expect(lines.read { $0 } == ["1 plugin echo-test: echo started"], "its log lines carry its name")
    }

    @Test func aPluginForAnotherABIIsRefusedByVersion() throws {
        let path = try testPlugin("wrong-abi")
        #expect {
            _ = try PluginLoader.load(path)
        } throws: { error in
            guard let error = error as? PluginError, error.kind == .abiMismatch else { return false }
            return error.description == "\(path) was built for plugin ABI 2.0; this visioncraftd speaks 1.2 (rebuild the plugin against Protocol/visioncraft_plugin.h)"
        }
    }

    @Test func aLibraryWithoutTheEntryPointIsNotAPlugin() throws {
        let path = try testPlugin("no-entry")
        #expect(throws: PluginError(.missingEntryPoint, "\(path) is not a visioncraft plugin: it exports no visioncraft_plugin_entry function")) {
            _ = try PluginLoader.load(path)
        }
    }

    @Test func aFailingInitShowsThePluginsMessage() throws {
        let path = try testPlugin("failing-init")
        #expect(throws: PluginError(.initFailed, "plugin failing-init (\(path)) did not start: the model file is missing")) {
            _ = try PluginLoader.load(path)
        }
    }

    @Test func whatIsNotALibraryIsRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("text.so"), Array("not ELF".utf8))
        #expect {
            _ = try PluginLoader.load(folder.file("text.so"))
        } throws: { error in
            (error as? PluginError)?.kind == .notLoadable && "\(error)".contains(folder.file("text.so"))
        }
        #expect(throws: PluginError.self) { _ = try PluginLoader.load(folder.file("missing.so")) }
    }

    @Test func pluginNamesAreWhatUsersType() {
        #expect(PluginStep.isPluginName("upscale"))
        #expect(PluginStep.isPluginName("echo-test2"))
        #expect(!PluginStep.isPluginName(""))
        #expect(!PluginStep.isPluginName("Upscale"))
        #expect(!PluginStep.isPluginName("up scale"))
        #expect(!PluginStep.isPluginName(String(repeating: "a", count: 33)))
    }
}

@Suite struct PluginRegistryTests {
    @Test func everyFileIsListedLoadedOrWithItsReasonAndLoadedOnce() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for name in ["echo", "wrong-abi", "no-entry", "failing-init"] {
            try FileSystem.writeFileAtomically(folder.file("\(name)\(PluginRegistry.fileExtension)"), try FileSystem.readFile(try testPlugin(name)))
        }
        try FileSystem.writeFileAtomically(folder.file("notes.txt"), Array("ignored".utf8))
        let registry = PluginRegistry(folders: [.init(path: folder.path), .init(path: folder.file("missing"))])
        let first = registry.reload()
        #expect(first.map(\.name) == ["echo-test", "failing-init.so", "no-entry.so", "wrong-abi.so"].map { $0.replacing(".so", with: PluginRegistry.fileExtension) })
        #expect(registry.plugin(named: "echo-test")?.hooks == [.prompt, .image, .file])
        #expect(first.filter { $0.plugin == nil }.allSatisfy { $0.error != nil })
        #expect(registry.reload().isEmpty, "nothing new, nothing loaded twice")

        // A second copy of a plugin already loaded is refused by name.
        try FileSystem.writeFileAtomically(folder.file("echo-copy\(PluginRegistry.fileExtension)"), try FileSystem.readFile(try testPlugin("echo")))
        let added = registry.reload()
        #expect(added.count == 1)
        #expect(added.first?.error?.hasPrefix("a plugin named echo-test is already loaded from") == true)
        #expect(registry.all.count == 5)
    }

    @Test func aLoadedFileReplacedOrChangedOnDiskIsReported() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let replaced = folder.file("replaced/echo\(PluginRegistry.fileExtension)")
        let changed = folder.file("changed/echo\(PluginRegistry.fileExtension)")
        let bytes = try FileSystem.readFile(try testPlugin("echo"))
        for path in [replaced, changed] {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), permissions: 0o700)
            try FileSystem.writeFileAtomically(path, bytes)
        }
        let first = PluginRegistry(folders: [.init(path: FileSystem.parentDirectory(of: replaced))])
        let second = PluginRegistry(folders: [.init(path: FileSystem.parentDirectory(of: changed))])
        _ = first.reload()
        _ = second.reload()
        #expect(first.all.first?.changedOnDisk == nil, "as loaded")
        // A new build renamed into place.
        try FileSystem.writeFileAtomically(replaced, bytes)
        #expect(first.all.first?.changedOnDisk?.contains("replaced since it was loaded") == true)
        // The same file written in place (bytes appended: past what is mapped).
        let fd = try FileDescriptor.open(changed, O_WRONLY | O_APPEND)
        try fd.writeAll([0])
        try fd.close()
        #expect(second.all.first?.changedOnDisk?.contains("changed in place since it was loaded") == true)
    }

    @Test func theBinariesFolderCountsOnlyOurNames() throws {
        let registry = PluginRegistry(folders: [.init(path: BuiltProducts.directory, prefix: "libvisioncraft-")])
        #expect(registry.reload().allSatisfy { FileSystem.lastComponent(of: $0.path).hasPrefix("libvisioncraft-") })
    }
}

@Suite struct PluginMessageTests {
    /// A plugin's error message lands in the job, its events and the log:
    /// a huge one is cut.
    @Test func aHugeMessageFromAPluginIsCut() {
        let text = String(repeating: "e", count: 5000)
        let copy = strdup(text)
        let message = PluginLoader.message(copy, .init(rawValue: 1))
        #expect(message == String(repeating: "e", count: PluginLoader.maximumMessageBytes) + "... (cut at 1024 bytes)")
        #expect(PluginLoader.message(strdup("short"), .init(rawValue: 1)) == "short")
    }
}
