import CommandLineKit
import Foundation
import Posix
import Testing
import TestSupport
import VCCtl

/// The repository's root, from this file's path.
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = FileSystem.parentDirectory(of: path) }
    return path
}()

/// Every `Fl \-name` (long option) an mdoc page mentions.
func documentedLongOptions(inManual name: String) throws -> Set<String> {
    let text = String(decoding: try FileSystem.readFile("\(repositoryRoot)/man/\(name)"), as: UTF8.self)
    var options: Set<String> = []
    for line in text.split(separator: "\n") {
        var rest = Substring(line)
        while let range = rest.range(of: "Fl \\-") {
            rest = rest[range.upperBound...]
            let option = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" }
            if !option.isEmpty { options.insert(String(option)) }
        }
    }
    return options
}

@Suite struct ManualTests {
    @Test func everyVcctlOptionIsInTheManual() throws {
        let documented = try documentedLongOptions(inManual: "vcctl.1")
        for command in CommandLineTool.commands(VisionCraftControl.self) {
            for option in command.options where !option.hidden {
                #expect(documented.contains(option.long), "man/vcctl.1 lacks --\(option.long) (\(command.path.joined(separator: " ")))")
            }
        }
        #expect(documented.contains("version") && documented.contains("help"))
    }

    @Test func everyVcctlCommandIsInTheManual() throws {
        let text = String(decoding: try FileSystem.readFile("\(repositoryRoot)/man/vcctl.1"), as: UTF8.self)
        for command in CommandLineTool.commands(VisionCraftControl.self) where command.path.count > 1 {
            let words = command.path.dropFirst().joined(separator: " ")
            #expect(text.contains("Cm \(words)"), "man/vcctl.1 lacks the command '\(words)'")
        }
    }

    @Test(arguments: ["vcctl.1", "visioncraftd.8"])
    func manualsAreLintClean(page: String) async throws {
        guard let mandoc = ProcessEnvironment.findExecutable(named: "mandoc") else {
            Issue.record("mandoc is not installed: the man page lint test needs it (.ci/install-packages --tests installs it)")
            return
        }
        let output = try await offPool { try runProcess(mandoc, ["-T", "lint", "-W", "warning", "\(repositoryRoot)/man/\(page)"]) }
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.isEmpty && output.standardError.isEmpty, "\(output.standardOutput)\(output.standardError)")
    }
}
