import Posix
import Testing
import TestSupport

/// The tool libraries stay out of the product graph: nothing that vcctl,
/// visioncraftd, the emulator or a shipped plugin is built from depends on
/// them, directly or through another target (Package.swift's rule).
@Suite struct PackageGraphTests {
    static let tools: Set<String> = ["Benchmarks", "FuzzTargets", "Harness", "Reliability", "TestSupport"]
    static let products = ["vcctl", "visioncraftd", "visioncraft-emulator", "ExecPlugin", "TemplatePlugin", "UpscalePlugin"]

    @Test func noProductIsBuiltFromAToolLibrary() throws {
        let manifest = String(decoding: try FileSystem.readFile(ManualPage.repositoryRoot + "/Package.swift"), as: UTF8.self)
        let graph = Self.targets(in: manifest)
        #expect(Self.tools.isSubset(of: Set(graph.keys)), "every tool library is declared: \(graph.keys.sorted())")
        for product in Self.products {
            #expect(graph[product] != nil, "\(product) is declared")
            var seen: Set<String> = []
            var next = [product]
            while let target = next.popLast() {
                guard seen.insert(target).inserted else { continue }
                next += graph[target] ?? []
            }
            #expect(seen.isDisjoint(with: Self.tools), "\(product) is built from \(seen.intersection(Self.tools).sorted())")
        }
    }

    @Test func theGraphReaderSeesEachTargetsDependencies() {
        let graph = Self.targets(in: """
            .target(name: "A", dependencies: ["B", "C"]),
            .executableTarget(
                name: "b-tool",
                dependencies: ["A"],
                linkerSettings: x
            ),
            .target(name: "C"),
            .testTarget(name: "ATests", dependencies: ["A"]),
            """)
        #expect(graph == ["A": ["B", "C"], "b-tool": ["A"], "C": []])
    }

    /// Each library and executable target's dependencies, by name, read
    /// from the manifest's `.target(` and `.executableTarget(` calls.
    static func targets(in manifest: String) -> [String: [String]] {
        var graph: [String: [String]] = [:]
        var rest = Substring(manifest)
        while let call = rest.firstRange(of: #/\.(target|executableTarget)\(/#) {
            var depth = 1
            var index = call.upperBound
            while index < rest.endIndex, depth > 0 {
                if rest[index] == "(" { depth += 1 }
                if rest[index] == ")" { depth -= 1 }
                index = rest.index(after: index)
            }
            let body = rest[call.upperBound..<index]
            rest = rest[index...]
            guard let name = body.firstMatch(of: #/name: "([^"]+)"/#)?.1 else { continue }
            let dependencies = body.firstMatch(of: #/dependencies: \[([^\]]*)\]/#).map { list in
                list.1.matches(of: #/"([^"]+)"/#).map { String($0.1) }
            } ?? []
            graph[String(name)] = dependencies
        }
        return graph
    }
}
