import HTTPClient
import HTTPServer
import Imaging
import Posix
@testable import Scheduler
import Testing
import TestSupport
import VisionCraftAPI

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
        let saver = ImageSaver(client: VisionCraftClient(configuration: .init(baseURL: server.baseURL), http: try HTTPClient()))
        let base = ImageSaver.basePath(folder: folder.path, jobID: "01J", createdAt: 0, index: 2)
        #expect(base.hasSuffix("/01J-3"))
        #expect(ImageSaver.existing(base: base) == nil)

        let pngPath = try await saver.save(url: server.baseURL + "/a.png", base: base) { width, height in "p \(width ?? 0)x\(height ?? 0)" }
        #expect(pngPath == base + ".png")
        #expect(try PNGCodec.decode(try FileSystem.readFile(pngPath)).text == [.init(keyword: "parameters", text: "p 4x2")])
        #expect(ImageSaver.existing(base: base) == pngPath, "found again after a crash: adopted, not written twice")
        #expect(try FileSystem.status(pngPath + ".partial") == nil)

        let other = ImageSaver.basePath(folder: folder.path, jobID: "01J", createdAt: 0, index: 3)
        let jpegPath = try await saver.save(url: server.baseURL + "/b.jpg", base: other) { _, _ in "ignored" }
        #expect(jpegPath == other + ".jpg")
        #expect(try FileSystem.readFile(jpegPath) == jpeg, "saved byte for byte")
    }

    @Test func anUnwritableFolderIsAStorageError() async throws {
        let png = try PNGCodec.encode(RGBAImage(width: 1, height: 1))
        let server = try HTTPServer { _ in .response(HTTPResponse(status: .ok, body: png)) }
        try server.start()
        defer { server.stop() }
        let saver = ImageSaver(client: VisionCraftClient(configuration: .init(baseURL: server.baseURL), http: try HTTPClient()))
        do {
            _ = try await saver.save(url: server.baseURL + "/x.png", base: "/proc/visioncraft-test/x") { _, _ in "" }
            Issue.record("saved into /proc")
        } catch {
            guard case .download(.storage(let message)) = error else {
                Issue.record("not a storage error: \(error)")
                return
            }
            #expect(message.contains("/proc/visioncraft-test/x.png"))
        }
    }
}
