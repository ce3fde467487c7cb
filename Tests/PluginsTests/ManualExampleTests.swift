import Imaging
import PluginHost
import Posix
import Testing
import TestSupport

/// The C plugin in visioncraft-plugin(7) builds as written and works.
@Suite struct ManualExampleTests {
    @Test func theManualsCPluginBuildsLoadsAndRuns() async throws {
        let page = try ManualPage("visioncraft-plugin.7")
        guard let start = page.text.firstRange(of: "/* grey.c */\n"), let end = page.text[start.upperBound...].firstRange(of: "\n.Ed") else {
            throw TestFailure("the grey.c example is missing from man/visioncraft-plugin.7")
        }
        let source = String(page.text[start.lowerBound..<end.lowerBound]).replacing("\\e", with: "\\")
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("grey.c"), Array(source.utf8))
        let library = folder.file("grey\(PluginRegistry.fileExtension)")
        let build = try await offPool {
            try runProcess("/usr/bin/env", ["clang", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-I", "\(ManualPage.repositoryRoot)/Protocol", folder.file("grey.c"), "-o", library])
        }
        #expect(build.status == 0, "the example does not build: \(build.standardError)")
        let plugin = try PluginLoader.load(library)
        #expect(plugin.name == "grey")
        let grey = try await plugin.image(RGBAImage(width: 2, height: 1, fill: (200, 100, 50, 255)), parameters: "{}", timeout: TestTime.scaled(.seconds(10)))
        let weighted: Int = 200 * 77 + 100 * 150 + 50 * 29
        let value = UInt8(weighted >> 8)
        #expect(grey.pixels == [value, value, value, 255, value, value, value, 255])
    }

    @Test func theManualsSwiftPluginIsTheOneTheBuildMakesAndItRuns() async throws {
        let page = try ManualPage("visioncraft-plugin.7")
        guard let start = page.text.firstRange(of: "// Sources/Grey/Grey.swift\n"), let end = page.text[start.lowerBound...].firstRange(of: "\n.Ed") else {
            throw TestFailure("the Swift example is missing from man/visioncraft-plugin.7")
        }
        let example = String(page.text[start.lowerBound..<end.lowerBound]).replacing("\\(dq", with: "\"").replacing("\\e", with: "\\")
        let built = String(decoding: try FileSystem.readFile("\(ManualPage.repositoryRoot)/Tests/Plugins/ManualSwift/Grey.swift"), as: UTF8.self)
        #expect(built == example + "\n", "Tests/Plugins/ManualSwift/Grey.swift must be the manual's example, character for character")
        let plugin = try PluginLoader.load("\(BuiltProducts.directory)/libvctest-manual-swift\(PluginRegistry.fileExtension)")
        #expect(plugin.name == "grey")
        let grey = try await plugin.image(RGBAImage(width: 1, height: 1, fill: (200, 100, 50, 255)), parameters: "{}", timeout: TestTime.scaled(.seconds(10)))
        let weighted: Int = 200 * 77 + 100 * 150 + 50 * 29
        #expect(grey.pixels == [UInt8(weighted >> 8), UInt8(weighted >> 8), UInt8(weighted >> 8), 255])
    }
}
