import Posix
import Testing
import TestSupport

/// The tools stay out of the product graph (Package.swift's rules): the
/// benchmark, reliability and fuzz tools are a package of their own under
/// Benchmarks/ that depends on this one by path, and nothing that vcctl,
/// visioncraftd, the emulator or a shipped plugin is built from depends on
/// what the tests and tools share, directly or through another target.
@Suite struct PackageGraphTests {
    /// What the tests and the tools package share: never part of a product.
    static let shared: Set<String> = ["Harness", "TestSupport"]
    /// The tools package's targets: none of them may be declared here.
    static let tools: Set<String> = [
        "Benchmarks", "FuzzTargets", "Reliability", "visioncraft-bench", "visioncraft-bench-floor", "visioncraft-fuzz", "visioncraft-loadgen",
        "visioncraft-reliability",
    ]
    static let products = ["vcctl", "visioncraftd", "visioncraft-emulator", "ExecPlugin", "TemplatePlugin", "UpscalePlugin"]

    static func manifest(_ path: String) throws -> String {
        String(decoding: try FileSystem.readFile(ManualPage.repositoryRoot + "/" + path), as: UTF8.self)
    }

    @Test func noProductIsBuiltFromATestOrToolTarget() throws {
        let graph = Self.targets(in: try Self.manifest("Package.swift"))
        #expect(Self.shared.isSubset(of: Set(graph.keys)), "the shared libraries are declared: \(graph.keys.sorted())")
        for product in Self.products {
            #expect(graph[product] != nil, "\(product) is declared")
            let seen = Self.reachable(from: product, in: graph)
            #expect(seen.isDisjoint(with: Self.shared), "\(product) is built from \(seen.intersection(Self.shared).sorted())")
        }
    }

    /// The modules that implement the backend seam (one per kind of service).
    static let backendModules: Set<String> = ["A1111API", "ComfyUIAPI", "OpenAIAPI", "VisionCraftAPI"]

    /// The job model, the store, the scheduler and the wire protocol know
    /// backends only through the seam, so that a new backend changes none
    /// of them.
    @Test func theQueueKnowsBackendsOnlyThroughTheSeam() throws {
        let graph = Self.targets(in: try Self.manifest("Package.swift"))
        for module in ["Backends", "Jobs", "JobStore", "Scheduler", "VisionCraftProtocol"] {
            #expect(graph[module] != nil, "\(module) is declared")
            let seen = Self.reachable(from: module, in: graph)
            #expect(seen.isDisjoint(with: Self.backendModules), "\(module) is built from \(seen.intersection(Self.backendModules).sorted())")
        }
        for backend in Self.backendModules {
            #expect(graph[backend]?.contains("Backends") == true, "\(backend) implements the seam")
            let others = Self.reachable(from: backend, in: graph).intersection(Self.backendModules.subtracting([backend]))
            #expect(others.isEmpty, "\(backend) is built from another backend, \(others.sorted()): what they share goes in Backends")
        }
    }

    /// The scheduler's values are its own: the Daemon turns them into the
    /// wire protocol's types at the edge.
    @Test func theSchedulerKnowsNothingOfTheWire() throws {
        let graph = Self.targets(in: try Self.manifest("Package.swift"))
        let seen = Self.reachable(from: "Scheduler", in: graph)
        #expect(!seen.contains("VisionCraftProtocol"), "Scheduler is built from \(seen.sorted())")
    }

    /// Every target `target` is built from, itself included.
    static func reachable(from target: String, in graph: [String: [String]]) -> Set<String> {
        var seen: Set<String> = []
        var next = [target]
        while let target = next.popLast() {
            guard seen.insert(target).inserted else { continue }
            next += graph[target] ?? []
        }
        return seen
    }

    @Test func theProductPackageHoldsNoToolTarget() throws {
        let graph = Self.targets(in: try Self.manifest("Package.swift"))
        #expect(Set(graph.keys).isDisjoint(with: Self.tools), "tool targets in Package.swift: \(Set(graph.keys).intersection(Self.tools).sorted())")
    }

    @Test func theToolsPackageHoldsTheToolsAndDependsOnTheProductByPath() throws {
        let manifest = try Self.manifest("Benchmarks/Package.swift")
        #expect(manifest.contains(#".package(name: "visioncraft", path: "../")"#), "Benchmarks/Package.swift depends on ../ by path")
        let graph = Self.targets(in: manifest)
        #expect(Self.tools.isSubset(of: Set(graph.keys)), "the tools package declares \(Self.tools.subtracting(graph.keys).sorted()) too")
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
