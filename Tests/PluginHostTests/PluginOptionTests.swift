import Jobs
@testable import PluginHost
import Testing
import TestSupport

/// Options as plugins declare them (ABI 1.2) and the check of a step's.
@Suite struct PluginOptionTests {
    func shipped(_ name: String) throws -> LoadedPlugin {
        try PluginLoader.load("\(BuiltProducts.directory)/libvisioncraft-\(name)\(PluginRegistry.fileExtension)")
    }

    func check(_ plugin: LoadedPlugin, _ spec: String) throws -> PluginStep {
        try plugin.checked(try PluginStep(parsing: spec))
    }

    func refusal(_ plugin: LoadedPlugin, _ spec: String) -> String? {
        do {
            _ = try check(plugin, spec)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theLoaderReadsTheDeclaredOptions() throws {
        let upscale = try shipped("upscale")
        #expect(upscale.abi == (1, 2))
        #expect(upscale.options?.map(\.name) == ["scale", "width", "height"])
        let scale = try #require(upscale.options?.first)
        #expect(scale == PluginOption(name: "scale", kind: .integer, range: 2...4, summary: "2, 3 or 4; default 2", infotext: "Postprocess upscale by"))
        let exec = try shipped("exec")
        #expect(exec.options?.first { $0.name == "command" }?.required == true)
        let template = try shipped("template")
        #expect(template.options?.first { $0.name == "mode" }?.choices == ["random", "combinatorial"])
        #expect(try PluginLoader.load(try testPlugin("crash")).options == [], "an empty list: no options")
        #expect(try PluginLoader.load(try testPlugin("echo")).options == nil, "an ABI 1.0 plugin declares none")
    }

    @Test func unknownOptionsAreRefusedNamingTheAcceptedOnes() throws {
        let upscale = try shipped("upscale")
        #expect(refusal(upscale, "upscale:factor=2") == "upscale has no option 'factor'; it takes scale, width, height (vcctl plugins lists them)")
        #expect(refusal(try PluginLoader.load(try testPlugin("crash")), "crash-test:x=1") == "crash-test has no option 'x'; it takes none")
    }

    @Test func valuesOutOfRangeOrOfAnotherTypeAreRefused() throws {
        let upscale = try shipped("upscale")
        #expect(refusal(upscale, "upscale:scale=5") == "upscale: scale=5 is not accepted: scale is a whole number from 2 to 4 (2, 3 or 4; default 2)")
        #expect(refusal(upscale, "upscale:scale=2.5")?.contains("scale is a whole number from 2 to 4") == true)
        #expect(refusal(upscale, #"upscale:{"scale":"2"}"#)?.contains("scale=2 is not accepted") == true)
        #expect(refusal(upscale, "upscale:scale=3") == nil)
        let template = try shipped("template")
        #expect(refusal(template, "template:mode=every")?.contains("mode is one of random, combinatorial") == true)
    }

    @Test func aRequiredOptionMustBeGiven() throws {
        let exec = try shipped("exec")
        #expect(refusal(exec, "exec") == "exec needs the option command (text of 1 to 65536 bytes: run with /bin/sh -c for every saved image)")
        #expect(refusal(exec, "exec:timeout=10") != nil)
        #expect(refusal(exec, "exec:timeout=0,command=true")?.contains("timeout is a whole number from 1 to 3600") == true)
    }

    @Test func textOptionsGetTextAndOldPluginsAnything() throws {
        // key=value reads "true" as a boolean: a text option gets it as text.
        let exec = try shipped("exec")
        #expect(try check(exec, "exec:command=true").options == ["command": "true"])
        let echo = try PluginLoader.load(try testPlugin("echo"))
        #expect(try check(echo, "echo-test:anything=1,else=x").options == ["anything": 1, "else": "x"], "as before 1.2: unchecked")
    }

    @Test func aCommaNotFollowedByAKeyBelongsToTheValue() throws {
        #expect(try PluginStep(parsing: "template:style=A, B").options == ["style": "A, B"])
        #expect(try PluginStep(parsing: "template:styles=/s.csv,style=A, B,mode=random").options == ["styles": "/s.csv", "style": "A, B", "mode": "random"])
        #expect(try PluginStep(parsing: "upscale:scale=2,width=3").options == ["scale": 2, "width": 3])
        #expect(throws: PluginStepError("'upscale:scale=2,scale=3': 'scale' is given twice")) { try PluginStep(parsing: "upscale:scale=2,scale=3") }
        #expect(throws: PluginStepError("'upscale:oops': 'oops' is not key=value")) { try PluginStep(parsing: "upscale:oops") }
    }
}
