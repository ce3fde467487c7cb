import HTTPClient
import HTTPServer
import Imaging
import Posix
@testable import Scheduler
import Testing
import TestSupport
import VisionCraftAPI

/// A saver on `server` with `limits` (by default a budget of 64 MiB).
func saverFor(_ server: HTTPServer, limits: ImageLimits = ImageLimits(memoryBudget: 64 << 20, maximumInputPixels: 4 << 20, maximumOutputPixels: 16 << 20)) throws -> ImageSaver {
    ImageSaver(
        client: VisionCraftClient(configuration: .init(baseURL: server.baseURL), http: try HTTPClient()),
        memory: ImageMemory(capacity: limits.memoryBudget), limits: limits
    )
}

@Suite struct ImageSaverTests {
    @Test func pngsAreStampedOtherFormatsSavedAsTheyCame() async throws {
        let png = try PNGCodec.encode(RGBAImage(width: 4, height: 2))
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x11, count: 100)
        let server = try HTTPServer { request in
            .response(HTTPResponse(status: .ok, body: request.path == "/a.png" ? png : jpeg))
        }
        try server.start()
        defer { server.stop() }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let saver = try saverFor(server)
        let base = ImageSaver.basePath(folder: folder.path, jobID: "01J", createdAt: 0, index: 2)
        #expect(base.hasSuffix("/01J-3"))
        #expect(ImageSaver.existing(base: base) == nil)

        let pngPath = try await saver.save(url: server.baseURL + "/a.png", base: base) { width, height, _ in "p \(width)x\(height)" }
        #expect(pngPath == base + ".png")
        #expect(try PNGCodec.decode(try FileSystem.readFile(pngPath)).text == [.init(keyword: "parameters", text: "p 4x2")])
        #expect(ImageSaver.existing(base: base) == pngPath, "found again after a crash: adopted, not written twice")
        #expect(try FileSystem.status(pngPath + ".partial") == nil)

        let other = ImageSaver.basePath(folder: folder.path, jobID: "01J", createdAt: 0, index: 3)
        let jpegPath = try await saver.save(url: server.baseURL + "/b.jpg", base: other) { _, _, _ in "ignored" }
        #expect(jpegPath == other + ".jpg")
        #expect(try FileSystem.readFile(jpegPath) == jpeg, "saved byte for byte")
    }

    @Test func aDamagedPNGIsCorruptAndNothingIsWritten() async throws {
        var damaged = try PNGCodec.encode(RGBAImage(width: 64, height: 64, fill: (1, 2, 3, 255)))
        damaged[damaged.count - 20] ^= 0x5A
        let png = damaged
        let server = try HTTPServer { _ in .response(HTTPResponse(status: .ok, body: png)) }
        try server.start()
        defer { server.stop() }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let saver = try saverFor(server)
        do throws(ImageSaver.Failure) {
            _ = try await saver.save(url: server.baseURL + "/x.png", base: folder.file("x")) { _, _, _ in "" }
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
        let server = try HTTPServer { _ in .response(HTTPResponse(status: .ok, body: png)) }
        try server.start()
        defer { server.stop() }
        let saver = try saverFor(server)
        do {
            _ = try await saver.save(url: server.baseURL + "/x.png", base: "/proc/visioncraft-test/x") { _, _, _ in "" }
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
