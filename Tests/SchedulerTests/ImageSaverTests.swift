import Backends
import Imaging
import Jobs
import PluginHost
import Posix
@testable import Scheduler
import Testing
import TestSupport

/// A saver with `limits` (by default a budget of 64 MiB).
func saverWith(limits: ImageLimits = ImageLimits(memoryBudget: 64 << 20, maximumInputPixels: 4 << 20, maximumOutputPixels: 16 << 20)) -> ImageSaver {
    ImageSaver(memory: ImageMemory(capacity: limits.memoryBudget), limits: limits)
}

extension ImageSaver {
    /// Saves `bytes` as a backend hands them over: known to be an image by
    /// their signature, then stored.
    func save(
        _ bytes: [UInt8], base: String, chain: PluginChain? = nil, hookParameters: (PluginStep) -> String = { _ in "{}" },
        stamp: (_ width: Int, _ height: Int, _ postprocessing: [(plugin: LoadedPlugin, step: PluginStep)]) -> String
    ) async throws(Failure) -> String {
        guard let image = FetchedImage(checking: bytes) else { throw .corrupt("no image signature") }
        return try await store(image, base: base, chain: chain, hookParameters: hookParameters, stamp: stamp)
    }
}

@Suite struct ImageSaverTests {
    @Test func pngsAreStampedOtherFormatsSavedAsTheyCame() async throws {
        let png = try PNGCodec.encode(RGBAImage(width: 4, height: 2))
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x11, count: 100)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let saver = saverWith()
        let base = ImageSaver.basePath(folder: folder.path, jobID: "01J", createdAt: 0, index: 2)
        #expect(base.hasSuffix("/01J-3"))
        #expect(ImageSaver.existing(base: base) == nil)

        let pngPath = try await saver.save(png, base: base) { width, height, _ in "p \(width)x\(height)" }
        #expect(pngPath == base + ".png")
        #expect(try PNGCodec.decode(try FileSystem.readFile(pngPath)).text == [.init(keyword: "parameters", text: "p 4x2")])
        #expect(ImageSaver.existing(base: base) == pngPath, "found again after a crash: adopted, not written twice")
        #expect(try FileSystem.status(pngPath + ".partial") == nil)

        let other = ImageSaver.basePath(folder: folder.path, jobID: "01J", createdAt: 0, index: 3)
        let jpegPath = try await saver.save(jpeg, base: other) { _, _, _ in "ignored" }
        #expect(jpegPath == other + ".jpg")
        #expect(try FileSystem.readFile(jpegPath) == jpeg, "saved byte for byte")
    }

    @Test func aDamagedPNGIsCorruptAndNothingIsWritten() async throws {
        var damaged = try PNGCodec.encode(RGBAImage(width: 64, height: 64, fill: (1, 2, 3, 255)))
        damaged[damaged.count - 20] ^= 0x5A
        let png = damaged
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let saver = saverWith()
        do throws(ImageSaver.Failure) {
            _ = try await saver.save(png, base: folder.file("x")) { _, _, _ in "" }
            Issue.record("a damaged PNG was saved")
        } catch {
            guard case .corrupt(let reason) = error else {
                Issue.record("not corrupt: \(error)")
                return
            }
            #expect(reason.contains("CRC error"), "\(reason)")
        }
        #expect(try FileSystem.contentsOfDirectory(folder.path) == [])
    }

    @Test func anUnwritableFolderIsAStorageError() async throws {
        let png = try PNGCodec.encode(RGBAImage(width: 1, height: 1))
        let saver = saverWith()
        do {
            _ = try await saver.save(png, base: "/proc/visioncraft-test/x") { _, _, _ in "" }
            Issue.record("saved into /proc")
        } catch {
            guard case .storage(let message) = error else {
                Issue.record("not a storage error: \(error)")
                return
            }
            #expect(message.contains("/proc/visioncraft-test/x.png"))
        }
    }
}
