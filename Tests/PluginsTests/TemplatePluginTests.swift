import JSON
import PluginHost
import Posix
@testable import TemplatePlugin
import Testing
import TestSupport

/// Wildcards from a dictionary.
struct TableWildcards: WildcardSource {
    let table: [String: [String]]
    func values(_ name: String) throws(TemplateError) -> [String] {
        guard let values = table[name] else { throw TemplateError("no wildcard \(name)") }
        return values
    }
}

func render(_ text: String, seed: UInt64, wildcards: [String: [String]] = [:]) throws -> String {
    var random = SeededRandom(state: seed)
    return try PromptTemplate(text).render(wildcards: TableWildcards(table: wildcards), random: &random)
}

/// Every output of `text` over `seeds` seeds.
func outputs(_ text: String, seeds: Int = 200, wildcards: [String: [String]] = [:]) throws -> Set<String> {
    Set(try (0..<UInt64(seeds)).map { try render(text, seed: $0, wildcards: wildcards) })
}

@Suite struct PromptTemplateTests {
    @Test func variantsPickOneEachTime() throws {
        #expect(try outputs("a {red|blue} fox") == ["a red fox", "a blue fox"])
        #expect(try outputs("{a|{b|c}}") == ["a", "b", "c"], "nested")
        #expect(try outputs("{0::never|1::always}") == ["always"], "a zero weight is never drawn")
        #expect(try render("a {red|blue} fox", seed: 42) == render("a {red|blue} fox", seed: 42), "a seed reproduces")
    }

    @Test func severalAtOnceWithCountsAndSeparators() throws {
        #expect(try outputs("{2$$a|b|c}") == ["a, b", "b, a", "a, c", "c, a", "b, c", "c, b"])
        #expect(try outputs("{2$$ and $$a|b}") == ["a and b", "b and a"])
        let counts = Set(try outputs("{1-3$$a|b|c}").map { $0.split(separator: ",").count })
        #expect(counts == [1, 2, 3])
        #expect(try outputs("{5$$a|b}").allSatisfy { $0.split(separator: ",").count == 2 }, "no more than there are")
    }

    @Test func wildcardsAndWhatPassesThrough() throws {
        let table = ["colors": ["red", "{dark|light} blue"], "animals/small": ["mouse"]]
        #expect(try outputs("a __colors__ __animals/small__", wildcards: table) == ["a red mouse", "a dark blue mouse", "a light blue mouse"])
        #expect(try render("(masterpiece:1.2), [sketch], snake_case, a__b, __ spaced __", seed: 1) == "(masterpiece:1.2), [sketch], snake_case, a__b, __ spaced __")
        #expect(throws: TemplateError.self) { _ = try render("__missing__", seed: 1) }
    }

    @Test(arguments: [
        ("a {b|c", "'{' at 3 is never closed"),
        ("a } b", "'}' at 3 closes nothing"),
        ("{a|{b|c}", "'{' at 1 is never closed"),
    ])
    func mistakesSayWhere(text: String, message: String) {
        #expect(throws: TemplateError.self) { _ = try PromptTemplate(text) }
        do {
            _ = try PromptTemplate(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func combinatorialModeListsEveryPromptOnce() throws {
        func all(_ text: String, limit: Int = 100, wildcards: [String: [String]] = [:]) throws -> [String] {
            try PromptTemplate(text).all(wildcards: TableWildcards(table: wildcards), limit: limit)
        }
        #expect(try all("a {red|blue} {fox|cat}") == ["a red fox", "a red cat", "a blue fox", "a blue cat"])
        #expect(try all("{2$$a|b|c}") == ["a, b", "a, c", "b, c"], "combinations, in order")
        #expect(try all("{1-2$$ & $$a|b}") == ["a", "b", "a & b"])
        #expect(try all("__c__ sky", wildcards: ["c": ["grey", "{red|pink}"]]) == ["grey sky", "red sky", "pink sky"])
        #expect(try all("{0.1::a|9::b}") == ["a", "b"], "weights do not matter")
        #expect(throws: TemplateError.self) { _ = try all("{a|b}{a|b}{a|b}", limit: 7) }
    }

    /// `depth` braces around "a".
    static func nested(_ depth: Int) -> String {
        String(repeating: "{", count: depth) + "a" + String(repeating: "}", count: depth)
    }

    @Test func theParserRefusesDeeperNestingThanTheRendererTakes() throws {
        let limit = PromptTemplate.maximumNesting
        #expect(try render(Self.nested(limit), seed: 1) == "a", "as deep as allowed: parsed and rendered")
        let refusal = "'{' at \(limit + 1) nests deeper than \(limit) levels, the most a template may have"
        let tooDeep = #expect(throws: TemplateError.self) { _ = try PromptTemplate(Self.nested(limit + 1)) }
        try #require(tooDeep?.description == refusal, "refused when parsed, saying the limit")
        // 10 KB of nested braces, which overflowed the stack: refused the same way.
        #expect(throws: TemplateError.self) { _ = try PromptTemplate(Self.nested(5000)) }
        do {
            _ = try PromptTemplate(Self.nested(5000))
        } catch {
            #expect(error.description == refusal)
        }
    }

    @Test func aWildcardThatIncludesItselfStops() {
        #expect(throws: TemplateError.self) { _ = try render("__loop__", seed: 1, wildcards: ["loop": ["x __loop__"]]) }
    }
}

@Suite struct TemplatePluginTests {
    func plugin() throws -> LoadedPlugin {
        try PluginLoader.load("\(BuiltProducts.directory)/libvisioncraft-template\(PluginRegistry.fileExtension)")
    }

    @Test func thePromptHookRendersWithFilesFromDisk() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("wildcards/animals"), permissions: 0o755)
        try FileSystem.writeFileAtomically(folder.file("wildcards/animals/small.txt"), Array("# small animals\n\nmouse\n  \n".utf8))
        let styles = #"""
            name,prompt,negative_prompt
            Film,"cinematic still of {prompt}, film grain","cartoon, ""3d"""
            Bare,sharp focus,
            """#
        try FileSystem.writeFileAtomically(folder.file("styles.csv"), Array(styles.utf8))
        let request: JSON = [
            "prompt": "a {grey|grey} __animals/small__", "negative_prompt": "blurry", "seed": 7,
            "options": ["wildcards": .string(folder.file("wildcards")), "styles": .string(folder.file("styles.csv")), "style": "Film, Bare"],
        ]
        let response = try await plugin().prompt(JSONSerializer.serializeToString(request), timeout: TestTime.scaled(.seconds(10)))
        let json = try JSONParser.parse(response)
        #expect(json["prompt"] == "cinematic still of a grey mouse, film grain, sharp focus")
        #expect(json["negative_prompt"] == #"blurry, cartoon, "3d""#)
        #expect(json["options"] == nil)
    }

    @Test func badTemplatesAndStylesAreTheUsersToFix() async throws {
        let template = try plugin()
        await #expect(throws: PluginError(.hookFailed, "plugin template: '{' at 3 is never closed")) {
            _ = try await template.prompt(#"{"prompt":"a {b|c","seed":1}"#, timeout: TestTime.scaled(.seconds(10)))
        }
        await #expect(throws: PluginError.self) {
            _ = try await template.prompt(#"{"prompt":"x","options":{"style":"Nope","styles":"/nonexistent.csv"}}"#, timeout: TestTime.scaled(.seconds(10)))
        }
        await #expect(throws: PluginError.self) {
            _ = try await template.prompt(#"{"prompt":"__../../etc/passwd__"}"#, timeout: TestTime.scaled(.seconds(10)))
        }
    }

    /// On the thread hooks run on, a prompt nested 5000 deep (10 KB) is a
    /// mistake to fix, not a crash of the daemon.
    @Test func aDeeplyNestedPromptIsRefusedNotACrash() async throws {
        let limit = PromptTemplate.maximumNesting
        // The parser's own limit first: without it the deep prompt below
        // would take the test process down instead of failing this test.
        try #require((try? PromptTemplate(PromptTemplateTests.nested(limit + 1))) == nil)
        let request: JSON = ["prompt": .string(PromptTemplateTests.nested(5000)), "seed": 1]
        await #expect(throws: PluginError(.hookFailed, "plugin template: '{' at \(limit + 1) nests deeper than \(limit) levels, the most a template may have")) {
            _ = try await plugin().prompt(JSONSerializer.serializeToString(request), timeout: TestTime.scaled(.seconds(10)))
        }
    }

    @Test func combinatorialModeAsksForOneRequestPerPrompt() async throws {
        let response = try await plugin().prompt(
            #"{"prompt":"a {red|blue} fox","negative_prompt":"{blurry|blurry}","seed":3,"options":{"mode":"combinatorial"}}"#, timeout: TestTime.scaled(.seconds(10))
        )
        let requests = try JSONParser.parse(response)["requests"]?.arrayValue ?? []
        #expect(requests.map { $0["prompt"]?.stringValue } == ["a red fox", "a blue fox"])
        #expect(requests.allSatisfy { $0["negative_prompt"] == "blurry" })
        await #expect(throws: PluginError.self, "an unknown mode") {
            _ = try await plugin().prompt(#"{"prompt":"x","options":{"mode":"shuffle"}}"#, timeout: TestTime.scaled(.seconds(10)))
        }
    }
}
