import Imaging
@testable import PluginHost
import Posix
import Testing
import TestSupport

@Suite struct PluginCallTests {
    @Test func thePromptHookRewritesWithItsConfiguration() async throws {
        let plugin = try PluginLoader.load(try testPlugin("echo"), configuration: #"{"suffix":"!"}"#)
        let response = try await plugin.prompt(#"{"prompt":"a fox","negative_prompt":""}"#, timeout: TestTime.scaled(.seconds(10)))
        #expect(response == #"{"prompt":"a fox (echoed)!"}"#)
        await #expect(throws: PluginError(.hookFailed, "plugin echo-test: the request has no prompt")) {
            _ = try await plugin.prompt("{}", timeout: TestTime.scaled(.seconds(10)))
        }
    }

    @Test func theImageHookChangesPixelsInPlaceOrReturnsNewOnes() async throws {
        let echo = try PluginLoader.load(try testPlugin("echo"))
        var image = RGBAImage(width: 3, height: 2, fill: (10, 20, 30, 200))
        image.pixels[0] = 0
        let inverted = try await echo.image(image, parameters: "{}", timeout: TestTime.scaled(.seconds(10)))
        #expect(inverted.width == 3 && inverted.height == 2)
        #expect(Array(inverted.pixels.prefix(8)) == [255, 235, 225, 200, 245, 235, 225, 200], "colour inverted, alpha kept")
        #expect(image.pixels[0] == 0, "the caller's image is untouched")

        let slow = try PluginLoader.load(try testPlugin("slow"))
        let replaced = try await slow.image(image, parameters: #"{"sleep_ms":1}"#, timeout: TestTime.scaled(.seconds(10)))
        #expect(replaced.width == 2 && replaced.height == 1)
        #expect(replaced.pixels == [UInt8](repeating: 255, count: 8))
        #expect(slow.serialized)
    }

    @Test func aBufferGoesThroughTheHookWithoutCopies() async throws {
        let echo = try PluginLoader.load(try testPlugin("echo"))
        let input = try PixelBuffer(copying: RGBAImage(width: 3, height: 2, fill: (10, 20, 30, 200)))
        let inverted = try await echo.image(input, parameters: "{}", timeout: TestTime.scaled(.seconds(10)))
        #expect(inverted === input, "changed in place: the same buffer back")
        #expect(Array(inverted.image.pixels.prefix(4)) == [245, 235, 225, 200])

        let slow = try PluginLoader.load(try testPlugin("slow"))
        let replaced = try await slow.image(input, parameters: #"{"sleep_ms":0}"#, timeout: TestTime.scaled(.seconds(10)))
        #expect(replaced !== input)
        #expect(replaced.width == 2 && replaced.height == 1 && replaced.stride == 8, "the plugin's own pixels, as it returned them")
        #expect(replaced.image.pixels == [UInt8](repeating: 255, count: 8))
    }

    @Test func aPlanIsAskedOfPluginsThatHaveOne() async throws {
        let slow = try PluginLoader.load(try testPlugin("slow"))
        let plan = try await slow.imagePlan(width: 640, height: 480, parameters: #"{"working_bytes":12345}"#, timeout: TestTime.scaled(.seconds(10)))
        #expect(plan == ImagePlan(width: 2, height: 1, inPlace: false, workingBytes: 12345))
        let echo = try PluginLoader.load(try testPlugin("echo"))
        #expect(try await echo.imagePlan(width: 640, height: 480, parameters: "{}", timeout: TestTime.scaled(.seconds(10))) == nil, "ABI 1.0: no plan")
    }

    @Test func aHookPastItsTimeLimitFailsAtOnceAndMarksThePluginHung() async throws {
        let slow = try PluginLoader.load(try testPlugin("slow"))
        #expect(slow.hung == nil)
        let started = MonotonicInstant.now()
        await #expect(throws: PluginError.self) {
            _ = try await slow.image(RGBAImage(width: 1, height: 1), parameters: #"{"sleep_ms":300000}"#, timeout: .milliseconds(100))
        }
        #expect(started.elapsed < .seconds(120), "the caller did not wait out the 300 s hook")
        #expect(slow.hung?.contains("image hook did not finish within 0.1 s") == true)
    }

    @Test func theFileHookReportsThePluginsMessage() async throws {
        let echo = try PluginLoader.load(try testPlugin("echo"))
        try await echo.file("/tmp/ok.png", parameters: "{}", timeout: TestTime.scaled(.seconds(10)))
        await #expect(throws: PluginError(.hookFailed, "plugin echo-test: asked to fail")) {
            try await echo.file("/tmp/fail.png", parameters: "{}", timeout: TestTime.scaled(.seconds(10)))
        }
        await #expect(throws: PluginError.self, "a hook the plugin lacks") {
            _ = try await PluginLoader.load(try testPlugin("slow")).prompt("{}", timeout: .seconds(1))
        }
    }
}
