import Backends
import Imaging
import Jobs
import PluginHost
import Posix
@testable import Scheduler
import Testing
import TestSupport

@Suite struct ImageMemoryTests {
    @Test func whatDoesNotFitWaitsInOrderUntilItDoes() async throws {
        let memory = ImageMemory(capacity: 100)
        try await memory.reserve(60)
        let order = ThreadCondition<[String]>([])
        let waited = ThreadCondition(0)
        let big = Task {
            try await memory.reserve(50) { _ in waited.update { $0 += 1 } }
            order.update { $0.append("big") }
        }
        #expect(try await offPool { waited.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 1 } })
        // Small enough to fit, but behind the big one: first come, first served.
        let small = Task {
            try await memory.reserve(10) { _ in waited.update { $0 += 1 } }
            order.update { $0.append("small") }
        }
        #expect(try await offPool { waited.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 2 } })
        #expect(order.read { $0 }.isEmpty)
        memory.release(60)
        try await big.value
        try await small.value
        #expect(order.read { $0 } == ["big", "small"])
        #expect(memory.inUse == 60)
        memory.release(60)
        #expect(memory.inUse == 0)
    }

    @Test func cancellingAWaitHoldsNothingAndLetsTheNextOneIn() async throws {
        let memory = ImageMemory(capacity: 100)
        try await memory.reserve(90)
        let waiting = ThreadCondition(0)
        let first = Task { try await memory.reserve(80) { _ in waiting.update { $0 += 1 } } }
        #expect(try await offPool { waiting.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 1 } })
        let second = Task { try await memory.reserve(10) { _ in waiting.update { $0 += 1 } } }
        #expect(try await offPool { waiting.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 2 } })
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        try await second.value
        #expect(memory.inUse == 100, "the cancelled wait took nothing; the one behind it got its 10")
        let late = Task { try await memory.reserve(1) }
        late.cancel()
        await #expect(throws: CancellationError.self) { try await late.value }
        #expect(memory.inUse == 100)
    }

    @Test func growingPassesTheBudgetAndMakesOthersWait() async throws {
        let memory = ImageMemory(capacity: 100)
        try await memory.reserve(50)
        memory.grow(by: 80)
        #expect(memory.inUse == 130)
        let waited = ThreadCondition(false)
        let next = Task { try await memory.reserve(10) { _ in waited.update { $0 = true } } }
        #expect(try await offPool { waited.wait(timeout: TestTime.scaled(.seconds(60))) { $0 } })
        memory.release(130)
        try await next.value
        #expect(memory.inUse == 10)
    }
}

/// Images through plugins: planned, held in memory, limited.
@Suite struct ImageChainTests {
    static func upscale() throws -> LoadedPlugin {
        try PluginLoader.load("\(BuiltProducts.directory)/libvisioncraft-upscale\(PluginRegistry.fileExtension)")
    }

    static func slow() throws -> LoadedPlugin {
        try PluginLoader.load("\(BuiltProducts.directory)/libvctest-slow\(PluginRegistry.fileExtension)")
    }

    static func chain(_ steps: [(LoadedPlugin, String)]) throws -> PluginChain {
        PluginChain(steps: try steps.map { ($0.0, try PluginStep(parsing: $0.1)) }, timeout: TestTime.scaled(.seconds(60)))
    }

    /// Runs `body` with a saver and a folder.
    static func saving<T>(limits: ImageLimits, _ body: (ImageSaver, TemporaryDirectory) async throws -> T) async throws -> T {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        return try await body(saverWith(limits: limits), folder)
    }

    static let mebibyte = 1 << 20

    @Test func aBombIsRefusedFromItsHeaderBeforeAnythingIsDecoded() async throws {
        let bomb = try PNGCodec.flatGray(width: 8192, height: 8192)
        let limits = ImageLimits(memoryBudget: 1024 * Self.mebibyte, maximumInputPixels: 16 * ImageLimits.megapixel, maximumOutputPixels: 64 * ImageLimits.megapixel)
        let chain = try Self.chain([(Self.upscale(), "upscale:scale=2")])
        let failure = try await Self.saving(limits: limits) { saver, folder -> ImageSaver.Failure? in
            do throws(ImageSaver.Failure) {
                _ = try await saver.save(bomb, base: folder.file("x"), chain: chain) { _, _, _ in "" }
                return nil
            } catch {
                #expect(saver.memory.inUse == 0)
                return error
            }
        }
        #expect(failure == .tooLarge(
            "it is 8192x8192 (64 megapixels), more than images may have to go through image plugins: 16 megapixels, at most 16384 on a side "
                + "(visioncraftd --max-input-megapixels, images.max_input_megapixels)"
        ))
    }

    @Test func anImageThatNeedsMoreThanTheWholeBudgetFailsAtOnceSayingWhy() async throws {
        let png = try PNGCodec.flatGray(width: 2048, height: 2048)
        let limits = ImageLimits(memoryBudget: 64 * Self.mebibyte, maximumInputPixels: 16 * ImageLimits.megapixel, maximumOutputPixels: 64 * ImageLimits.megapixel)
        let chain = try Self.chain([(Self.upscale(), "upscale:scale=2")])
        let failure = try await Self.saving(limits: limits) { saver, folder -> ImageSaver.Failure? in
            do throws(ImageSaver.Failure) {
                _ = try await saver.save(png, base: folder.file("x"), chain: chain) { _, _, _ in "" }
                return nil
            } catch {
                return error
            }
        }
        guard case .tooLarge(let message)? = failure else {
            Issue.record("not refused as too large: \(String(describing: failure))")
            return
        }
        // 16 MiB decoded + 64 MiB result + the plugin's rows (a few a core).
        #expect(message.hasPrefix("it needs 8"), "\(message)")
        #expect(message.contains(" MiB of image memory (2048x2048 decoded, then upscale to 4096x4096 with "), "\(message)")
        #expect(message.hasSuffix("more than all jobs share: 64 MiB (visioncraftd --image-memory, images.memory_mb)"), "\(message)")
    }

    @Test func aPlanPastTheOutputLimitIsRefusedWithoutRunningTheHook() async throws {
        let png = try PNGCodec.flatGray(width: 1024, height: 1024)
        let limits = ImageLimits(memoryBudget: 1024 * Self.mebibyte, maximumInputPixels: 16 * ImageLimits.megapixel, maximumOutputPixels: 2 * ImageLimits.megapixel)
        let chain = try Self.chain([(Self.upscale(), "upscale:scale=3")])
        let failure = try await Self.saving(limits: limits) { saver, folder -> ImageSaver.Failure? in
            do throws(ImageSaver.Failure) {
                _ = try await saver.save(png, base: folder.file("x"), chain: chain, hookParameters: { _ in #"{"options":{"scale":3}}"# }) { _, _, _ in "" }
                return nil
            } catch {
                return error
            }
        }
        #expect(failure == .tooLarge(
            "plugin upscale would make it 3072x3072 (9 megapixels), more than an image plugin may return: 2 megapixels "
                + "(visioncraftd --max-output-megapixels, images.max_output_megapixels)"
        ))
    }

    @Test func aPluginThatBreaksItsPlanFailsTheStep() async throws {
        let png = try PNGCodec.encode(RGBAImage(width: 4, height: 4))
        let limits = ImageLimits(memoryBudget: 64 * Self.mebibyte, maximumInputPixels: ImageLimits.megapixel, maximumOutputPixels: ImageLimits.megapixel)
        let chain = try Self.chain([(Self.slow(), #"slow-test:{"lie":1}"#)])
        let failure = try await Self.saving(limits: limits) { saver, folder -> ImageSaver.Failure? in
            do throws(ImageSaver.Failure) {
                _ = try await saver.save(png, base: folder.file("x"), chain: chain, hookParameters: { _ in #"{"lie":1}"# }) { _, _, _ in "" }
                return nil
            } catch {
                #expect(saver.memory.inUse == 0, "given back")
                return error
            }
        }
        #expect(failure == .plugin("plugin slow-test broke its image plan: it said 3x3, it returned 2x1"))
    }

    /// Two images through the same chain at once with room for one: the
    /// second waits until the first is written, and the budget is never passed.
    @Test func twoImagesThatEachNeedMostOfTheBudgetTakeTurns() async throws {
        let png = try PNGCodec.flatGray(width: 512, height: 512)
        // 1 MiB decoded + 4 MiB result + rows: under 6 MiB; two would need 12.
        let limits = ImageLimits(memoryBudget: 8 * Self.mebibyte, maximumInputPixels: ImageLimits.megapixel, maximumOutputPixels: 4 * ImageLimits.megapixel)
        let chain = try Self.chain([(Self.upscale(), "upscale:scale=2")])
        let waits = ThreadCondition(0)
        let paths = try await Self.saving(limits: limits) { saver, folder -> [String] in
            try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<2 {
                    group.addTask {
                        let image = try #require(FetchedImage(checking: png))
                        return try await saver.store(image, base: folder.file("\(index)"), chain: chain, stamp: { _, _, _ in "" }) { _ in
                            waits.update { $0 += 1 }
                        }
                    }
                }
                var paths: [String] = []
                for try await path in group {
                    paths.append(path)
                    #expect(try PNGCodec.verify(try FileSystem.readFile(path)) == (1024, 1024))
                }
                #expect(saver.memory.inUse == 0)
                return paths
            }
        }
        #expect(paths.count == 2)
        #expect(waits.read { $0 } == 1, "one of the two waited for the other")
    }
}
