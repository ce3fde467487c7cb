import Posix
import Testing
import TestSupport

/// README's "Layout" table says what each module depends on; this keeps it
/// the graph the manifests declare.
@Suite struct ReadmeLayoutTests {
    @Test func eachModulesDependenciesAreTheManifests() throws {
        var graph = PackageGraphTests.targets(in: try PackageGraphTests.manifest("Package.swift"))
        for (name, dependencies) in PackageGraphTests.targets(in: try PackageGraphTests.manifest("Benchmarks/Package.swift")) {
            // The tools package names product modules through product([...]).
            let products = try PackageGraphTests.manifest("Benchmarks/Package.swift")
            graph[name] = dependencies + Self.productDependencies(of: name, in: products)
        }
        let readme = String(decoding: try FileSystem.readFile(ManualPage.repositoryRoot + "/README.md"), as: UTF8.self)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }
        #expect(rows.count >= 20, "the Layout table is there")
        var checked = 0
        for row in rows {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { Self.trimmed($0) }
            guard cells.count >= 4 else { continue }
            let named = cells[1].matches(of: #/`([^`]+)`/#).map { String($0.1) }.filter { graph[$0] != nil }
            guard !named.isEmpty else { continue }
            let declared = Set(named.flatMap { graph[$0] ?? [] }).subtracting(named)
            let written = cells[3] == "—" ? [] : Set(cells[3].split(separator: ",").map { Self.trimmed($0) })
            #expect(written == declared, "README's row for \(named.joined(separator: ", ")) says \(written.sorted()), the manifest \(declared.sorted())")
            checked += 1
        }
        #expect(checked >= 20)
    }

    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    /// The names in `product([...])` of `target`'s declaration.
    static func productDependencies(of target: String, in manifest: String) -> [String] {
        guard let start = manifest.firstRange(of: "name: \"\(target)\"") else { return [] }
        let rest = manifest[start.upperBound...]
        let end = rest.firstRange(of: "name: \"")?.lowerBound ?? rest.endIndex
        return rest[..<end].matches(of: #/product\(\[([^\]]*)\]\)/#).flatMap { list in list.1.matches(of: #/"([^"]+)"/#).map { String($0.1) } }
    }
}
